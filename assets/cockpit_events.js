/* Clicks and choices → the URL, in the browser.
 *
 * A click on a chart or a map follows the URL the server put beside the panel when it filled it
 * (callbacks/clicks.py): the page's click-targets store, {panel: {value: URL}} ({regions, points}
 * for a map). So a drill or a cross-filter costs no round trip before the page moves.
 *
 * Choices that need the server to build the URL (a brushed range, another map indicator, a custom
 * date range, an export) are passed on only when the user really made them: Dash also fires these
 * callbacks when the components are drawn, and each of those calls would be a request for nothing.
 */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.cockpitEvents = (function () {
    const noUpdate = () => window.dash_clientside.no_update;

    function here() {
        return window.location.pathname + window.location.search;
    }

    function leadsElsewhere(target) {
        return typeof target === "string" && target !== "" && target !== here();
    }

    function follow(target) {
        return leadsElsewhere(target) ? target : noUpdate();
    }

    function trigger() {
        const ctx = window.dash_clientside.callback_context;
        const fired = (ctx.triggered || [])[0];
        if (!fired || fired.value === null || fired.value === undefined) {
            return null;
        }
        return {id: ctx.triggered_id, prop: fired.prop_id.slice(fired.prop_id.lastIndexOf(".") + 1),
                value: fired.value};
    }

    // Where clicks on a panel lead: the page's click-targets store (the one state of the callback).
    function targetsOf(panelId) {
        const stores = window.dash_clientside.callback_context.states_list[0] || [];
        const all = (stores[0] && stores[0].value) || {};
        return all[panelId] || {};
    }

    function clickedValue(point) {
        let value = point ? point.customdata : undefined;
        while (Array.isArray(value)) {
            value = value[0];
        }
        return value === undefined || value === null ? null : String(value);
    }

    /* Where a map's point leads: its own URL, or its key's prefix's template with the rest of the
     * key put in (callbacks/clicks.py point_targets, whose point_target is this rule). */
    function pointTarget(points, key) {
        if (!points) { return undefined; }
        const urls = points.urls || {};
        if (Object.prototype.hasOwnProperty.call(urls, key)) { return urls[key]; }
        for (const [prefix, template] of points.templates || []) {
            if (key.length > prefix.length && key.startsWith(prefix)) {
                return template.split("{value}").join(key.slice(prefix.length));
            }
        }
        return undefined;
    }

    /* A click on a chart's mark goes to its URL at once, the way a dcc.Link does (the URL pushed,
     * the page's locations told): the route through the graph's clickData and graphClick below
     * costs Dash two rounds of its callback machinery, some 20-30 ms before the page asks the
     * server for anything. The URL is read from the click-targets store in Dash's state; when it
     * cannot be, graphClick does the work as before (it finds an URL already followed and stops). */
    const clicks = window.cockpitClicks = {followed: 0};  // for diagnosis and tests

    function storedTargets() {
        const state = window.store && window.store.getState();
        const entries = state && state.paths && state.paths.objs && state.paths.objs["id,type"];
        const entry = (entries || []).find(function (e) { return e.values[1] === "click-targets"; });
        if (!entry) { return null; }
        let node = state.layout;
        for (const key of entry.path) { node = node === null || node === undefined ? node : node[key]; }
        return (node && node.props && node.props.data) || null;
    }

    // Go where a click on the mark of `value` in the panel around `element` leads, if anywhere.
    function followValue(element, value) {
        const panel = element.closest("[data-panel]");
        const all = panel ? storedTargets() : null;
        const target = all && (all[panel.dataset.panel] || {})[value];
        if (leadsElsewhere(target)) {
            clicks.followed += 1;
            window.history.pushState({}, "", target);
            window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        }
    }

    function followMark(gd, event) {
        followValue(gd, clickedValue(((event && event.points) || [])[0]));
    }

    // A ranking drawn as HTML bars (assets/rank_bars.js): a bar that leads somewhere (.rank-link)
    // carries its value as data-key, and Enter or Space on it does what a click does.
    function barActivated(event) {
        if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") { return; }
        const bar = event.target.closest && event.target.closest(".rank-link[data-key]");
        if (!bar || (event.type === "click" && event.button !== 0)) { return; }
        event.preventDefault();
        followValue(bar, bar.dataset.key);
    }
    document.addEventListener("click", barActivated);
    document.addEventListener("keydown", barActivated);

    function listenToCharts() {
        const plotly = window.Plotly;
        if (!plotly || plotly.react.__cockpitClicks) { return; }
        const react = plotly.react;
        // every chart of a page is drawn through Plotly.react (dcc.Graph): the first draw gives
        // it its event emitter, and the listener is added once
        plotly.react = function (gd) {
            const result = react.apply(this, arguments);
            Promise.resolve(result).then(function () {
                if (gd && typeof gd.on === "function" && !gd.__cockpitClicks && gd.closest && gd.closest(".panel-graph")) {
                    gd.__cockpitClicks = true;
                    gd.on("plotly_click", function (event) { followMark(gd, event); });
                }
            });
            return result;
        };
        plotly.react.__cockpitClicks = true;
    }

    // plotly.js loads after the assets, before any chart is drawn
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", listenToCharts);
    } else {
        listenToCharts();
    }

    return {
        graphClick: function () {
            const fired = trigger();
            if (!fired || fired.prop !== "clickData" || !fired.value.points) {
                return noUpdate();
            }
            return follow(targetsOf(fired.id.id)[clickedValue(fired.value.points[0])]);
        },

        mapClick: function () {
            const fired = trigger();
            if (!fired || !fired.value.properties) {
                return noUpdate();
            }
            const properties = fired.value.properties;
            const targets = targetsOf(fired.id.id);
            if (fired.id.type === "map-points") {
                return properties.cluster ? noUpdate() : follow(pointTarget(targets.points, String(properties.key)));
            }
            return follow((targets.regions || {})[properties.adcode]);
        },

        // A range brushed on a time chart (not the autosize Plotly reports when it draws).
        brushed: function () {
            const fired = trigger();
            if (!fired || typeof fired.value !== "object") {
                return noUpdate();
            }
            const r = fired.value;
            if (r["xaxis.range[0]"] === undefined && !Array.isArray(r["xaxis.range"])) {
                return noUpdate();
            }
            return {id: fired.id, relayout: r, at: Date.now()};
        },

        // Another indicator picked for a map (not the dropdown drawn with the view's own).
        metricChosen: function () {
            const fired = trigger();
            if (!fired) {
                return noUpdate();
            }
            const list = window.dash_clientside.callback_context.states_list[0] || [];
            const found = list.find((item) => item.id && item.id.id === fired.id.id);
            const options = (found && found.value) || [];
            const current = new URLSearchParams(window.location.search).get("metric")
                || (options[0] && options[0].value);
            return fired.value === current ? noUpdate() : {id: fired.id, value: fired.value, at: Date.now()};
        },

        // A custom range picked (not the picker drawn again with the view's own dates).
        rangeChosen: function (start, end, shown) {
            if (!start || !end || (shown && start.slice(0, 10) === shown[0] && end.slice(0, 10) === shown[1])) {
                return noUpdate();
            }
            return {start: start.slice(0, 10), end: end.slice(0, 10), at: Date.now()};
        },

        // A page arrived built for another query than the URL's (the URL moved on while it was on
    // its way, and Dash's router keeps a page in place when only the query changes): fill its
    // panels for the URL. Otherwise nothing: the page came drawn.
    pageStale: function (builtFor) {
        const pairs = (builtFor && builtFor.length) ? builtFor[0] : null;
        if (!Array.isArray(pairs)) {
            return noUpdate();
        }
        const current = [];
        new URLSearchParams(window.location.search).forEach((v, k) => current.push([k, v]));
        const order = (a, b) => (a[0] + "\u0000" + a[1] < b[0] + "\u0000" + b[1] ? -1 : 1);
        current.sort(order);
        const expected = pairs.slice().sort(order);
        return JSON.stringify(current) === JSON.stringify(expected) ? noUpdate() : {at: Date.now()};
    },

    // An export button pressed (buttons drawn again start at n_clicks 0 and fire too).
        exportPressed: function () {
            const fired = trigger();
            if (!fired || !fired.value) {
                return noUpdate();
            }
            return {id: fired.id, at: Date.now()};
        },
    };
})();

/* A page that never came. When the URL's query changes while the page's layout is on its way,
 * Dash drops that answer for the newer one, and the router answers a change of query alone with
 * "keep the page" — which is not there. Seen only when a link is followed in the first moments of
 * a load; then the page is loaded again, once per URL (never in a loop). */
(function () {
    function watch() {
        const store = window.store;
        if (!store) {
            window.setTimeout(watch, 200);
            return;
        }
        let timer = null;
        store.subscribe(function () {
            if (store.getState().isLoading) {
                return;
            }
            window.clearTimeout(timer);
            timer = window.setTimeout(function () {
                const content = document.getElementById("_pages_content");
                if (!content || content.childElementCount > 0 || store.getState().isLoading) {
                    return;
                }
                const key = "cockpit-reloaded:" + window.location.href;
                if (window.sessionStorage.getItem(key)) {
                    return;
                }
                window.sessionStorage.setItem(key, "1");
                window.location.reload();
            }, 400);
        });
    }
    window.addEventListener("load", watch);
})();
