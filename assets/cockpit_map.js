/* Functions the dash-leaflet GeoJSON layers call (referenced as {"variable": "cockpitMap.…"}).
 * Values come through `hideout` so a drill or a new indicator only sends a few numbers, never
 * the boundaries again (they are static files under /geo/). Status is never colour alone:
 * each region carries a label with its name and value, each point a tooltip. */
window.cockpitMap = (function () {
    const LEVELS = ["#2f9e44", "#1c7ed6", "#f59f00", "#e8590c", "#e03131"];
    function ramp(t) {
        // light → deep blue sequential scale, readable on light and dark backgrounds
        const stops = [[219, 234, 254], [147, 197, 253], [59, 130, 246], [29, 78, 216], [30, 58, 138]];
        t = Math.max(0, Math.min(1, t));
        const x = t * (stops.length - 1), i = Math.floor(x), f = x - i;
        const a = stops[i], b = stops[Math.min(i + 1, stops.length - 1)];
        const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
        return "rgb(" + c.join(",") + ")";
    }
    function escapeHtml(text) {
        return String(text).replace(/[&<>"']/g, (ch) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch]));
    }
    /* Leaving a page while its map still zooms to a county (a cockpit link clicked just after a
     * drill): Leaflet removes the map and its panes, but the zoom animation's end, queued on a
     * timer that removal does not cancel, still moves the removed map and reads its pane's
     * position — "Cannot read properties of undefined (reading '_leaflet_pos')". A removed map
     * (no map pane any more) has nothing left to move, so its zoom end is let go. Patched once,
     * as the first map draws its regions (Leaflet comes with dash-leaflet, after the assets). */
    function letRemovedMapsGo() {
        const proto = window.L && window.L.Map && window.L.Map.prototype;
        if (!proto || proto.__cockpitRemovalSafe) { return; }
        const zoomEnd = proto._onZoomTransitionEnd;
        proto._onZoomTransitionEnd = function () {
            return this._mapPane ? zoomEnd.apply(this, arguments) : undefined;
        };
        proto.__cockpitRemovalSafe = true;
    }
    function regionStyle(feature, context) {
        letRemovedMapsGo();
        const h = (context && context.hideout) || {};
        const code = feature.properties.adcode;
        const value = h.values ? h.values[code] : undefined;
        const selected = h.selected === code;
        let fill = "#9aa7b8";
        if (value !== undefined && value !== null && h.max !== h.min) {
            let t = (value - h.min) / (h.max - h.min);
            fill = ramp(t);
        } else if (value !== undefined && value !== null) {
            fill = ramp(0.6);
        }
        const level = h.levels ? h.levels[code] : 0;
        return {
            fillColor: fill, fillOpacity: h.single ? 0.12 : 0.78,
            color: selected ? "#f59f00" : (level >= 2 ? LEVELS[level] : "#ffffff"),
            weight: selected ? 4 : (level >= 2 ? 3 : 1.5), dashArray: level >= 2 ? "6 4" : null,
        };
    }
    function regionLabel(feature, layer, context) {
        const h = (context && context.hideout) || {};
        const p = feature.properties;
        const name = h.lang === "en" ? p.name_en : p.name;
        layer.bindTooltip(function () {
            const hh = (context && context.hideout) || h;
            const v = hh.labels ? hh.labels[p.adcode] : "";
            return "<b>" + escapeHtml(name) + "</b>" + (v ? "<br>" + escapeHtml(v) : "");
        }, {permanent: !!h.permanentLabels, direction: "center", className: "cockpit-map-label"});
    }
    // A county's points (thousands of institutions, segments or incidents) are drawn on one canvas
    // per map: as SVG each would be an element of the page — 5,000 of them made a drill's page
    // build and every later layout of the page (each chart's redraw measures it) far slower.
    const canvases = new WeakMap();
    const mapsByContainer = new WeakMap();
    function pointsCanvas(map) {
        if (!map) {
            return undefined;
        }
        let canvas = canvases.get(map);
        if (!canvas) {
            // in the marker pane: above the region fills, whichever layer finishes loading last
            canvas = L.canvas({pane: "markerPane", padding: 0.2});
            canvases.set(map, canvas);
            mapsByContainer.set(map.getContainer(), map);
        }
        return canvas;
    }
    // The points a panel's map shows, as drawn: for tests and diagnosis (canvas marks are no
    // elements of the page to look at). x, y: the point's centre in the page's viewport.
    function pointsShown(panelId) {
        const container = document.querySelector('[data-panel="' + panelId + '"] .leaflet-container');
        const map = container && mapsByContainer.get(container);
        if (!map) {
            return [];
        }
        const canvas = canvases.get(map), box = container.getBoundingClientRect(), shown = [];
        map.eachLayer(function (layer) {
            if (layer.feature && layer.options && layer.options.renderer === canvas) {
                const at = map.latLngToContainerPoint(layer.getLatLng());
                shown.push({key: String(layer.feature.properties.key), label: layer.feature.properties.label,
                            colour: layer.options.color, weight: layer.options.weight,
                            fillOpacity: layer.options.fillOpacity, radius: layer.options.radius,
                            x: box.left + at.x, y: box.top + at.y});
            }
        });
        return shown;
    }
    function openTooltipFirstTime(event) {
        const marker = event.target;
        const label = marker.feature && marker.feature.properties ? marker.feature.properties.label : "";
        marker.bindTooltip(escapeHtml(label || ""), {direction: "top"}).openTooltip(event.latlng);
    }
    function pointToLayer(feature, latlng, context) {
        const h = (context && context.hideout) || {};
        const p = feature.properties;
        const level = p.level || 0;
        const radius = p.radius || 7;
        const selected = h.selected && h.selected.indexOf(String(p.key)) >= 0;
        const dim = h.selected && h.selected.length && !selected;
        const marker = L.circleMarker(latlng, {
            pane: "markerPane", renderer: pointsCanvas(context && context.map),
            radius: radius, color: selected ? "#f59f00" : "#ffffff", weight: selected ? 3 : 1.2,
            fillColor: p.colour || LEVELS[level] || LEVELS[0], fillOpacity: dim ? 0.25 : 0.85,
        });
        // its tooltip is made when the pointer first comes over it: a county's thousands of points
        // each bound one as they were drawn (a tooltip object and its listeners per point)
        marker.once("mouseover", openTooltipFirstTime);
        if (selected) {
            // drawn above its neighbours (a chosen spot next to another must stay clickable, to take
            // it off again): after the whole layer is added, which happens in one go
            marker.on("add", function () { setTimeout(function () { if (marker._map) marker.bringToFront(); }, 0); });
        }
        return marker;
    }
    function clusterToLayer(feature, latlng, index, context) {
        const count = feature.properties.point_count;
        const size = count < 10 ? 28 : count < 100 ? 36 : 46;
        const icon = L.divIcon({
            html: "<div><span>" + feature.properties.point_count_abbreviated + "</span></div>",
            className: "cockpit-cluster", iconSize: L.point(size, size),
        });
        return L.marker(latlng, {icon: icon});
    }
    return {regionStyle: regionStyle, regionLabel: regionLabel, pointToLayer: pointToLayer,
            clusterToLayer: clusterToLayer, pointsShown: pointsShown};
})();
