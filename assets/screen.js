/* The big screen (大屏) inside one cockpit page: everything a wall does without asking the server.
 *
 * - Scale to fit: in screen mode #app-root is a 1920×1080 design canvas; it is scaled uniformly
 *   to the window's inner size (never screen.width, which is wrong under OS display scaling and
 *   on LED walls) and centred, letterboxed, and re-fitted on every resize. The page's grid
 *   divides the canvas height among its rows.
 * - Live: KPI numbers roll to their new value; a new red warning is announced over the page; the
 *   refresh interval is switched off while the page is hidden or the server unreachable
 *   (`screen-state` store).
 * - Connection: a failed Dash request shows a discreet notice, the server's /healthz is probed
 *   until it answers, and the page then re-syncs itself (no reload, no lost wall state).
 * - A clock in the header; the pointer hides when still; Escape leaves for the desk.
 * - Inside the wall (assets/wall.js, the carousel), input is reported to the wall, which pauses,
 *   and the wall draws its progress in this page's header (`showProgress`).
 */
window.cockpitScreen = (function () {
    "use strict";
    const CANVAS_W = 1920, CANVAS_H = 1080;
    const PROBE_MS = 5000;          // how often an unreachable server is probed
    const RECOVERED_NOTICE_MS = 4000;
    const ROLL_MS = 900;
    const CURSOR_IDLE_MS = 5000;    // the pointer is hidden on the wall after this long still
    const HEALTH_URL = "/healthz";  // answers without a session: it tells whether the server is back

    let config = null;              // the screen-config store (read by the wall)
    const connection = {offline: false, probe: null, lostRequests: 0};

    // ---- helpers -------------------------------------------------------------------------------
    // the carousel this page is shown in, when it is (same origin, so its functions are callable)
    function carouselShell() {
        try { return window.parent !== window && window.parent.cockpitWall ? window.parent.cockpitWall : null; }
        catch (e) { return null; }
    }

    function pagePath(pathname) {
        let path = (pathname || "/").replace(/\/+$/, "") || "/";
        if (path === "/screen" || path.indexOf("/screen/") === 0) { path = path.slice(7) || "/"; }
        if (path.indexOf("/incidents/") === 0) { path = "/incidents"; }
        return path;
    }

    function root() { return document.getElementById("app-root"); }
    function wallOn() { const el = root(); return !!el && el.classList.contains("screen-mode"); }
    function lang() { const el = root(); return el && el.classList.contains("lang-en") ? "en" : "zh"; }
    function words(zh, en) { return lang() === "en" ? en : zh; }

    function setProps(id, props) {
        const api = window.dash_clientside;
        try {
            if (api && api.set_props) { api.set_props(id, props); }
        } catch (e) {
            // Dash is not running yet (booting) or any more (the page unloads): nothing to tell it
        }
    }

    // ---- scale to fit --------------------------------------------------------------------------
    function fit() {
        const on = wallOn();
        const html = document.documentElement;
        html.classList.toggle("screen-wall", on);
        if (!on) { return; }
        const width = window.innerWidth, height = window.innerHeight;
        const scale = Math.min(width / CANVAS_W, height / CANVAS_H);
        html.style.setProperty("--screen-scale", String(scale));
        html.style.setProperty("--screen-x", ((width - CANVAS_W * scale) / 2) + "px");
        html.style.setProperty("--screen-y", ((height - CANVAS_H * scale) / 2) + "px");
    }

    // ---- the page's grid divides the canvas height among its rows --------------------------------
    // Panels declare their span on a 12-column grid (classes wN, hN). Their rows are found the way
    // the browser places them (sparse auto-placement, row by row); a row that holds only
    // full-width HTML strips (headline KPIs, a warning ticker) takes its content's height, and
    // every other row an equal share of what is left.
    function span(el, prefix, fallback) {
        for (const name of el.classList) {
            const m = name.match(/^([wh])(\d+)$/);
            if (m && m[1] === prefix) { return Math.max(1, Math.min(12, parseInt(m[2], 10))); }
        }
        return fallback;
    }

    function rowTemplate(panels) {
        const taken = [];   // taken[row][column]
        const strip = [];   // per row: true while every panel in it is a strip
        let row = 0, col = 0;
        function free(r, c, w, h) {
            for (let i = r; i < r + h; i++) {
                for (let j = c; j < c + w; j++) { if (taken[i] && taken[i][j]) { return false; } }
            }
            return true;
        }
        panels.forEach(function (el) {
            const w = span(el, "w", 4), h = span(el, "h", 1);
            while (col + w > 12 || !free(row, col, w, h)) {
                col += 1;
                if (col + w > 12) { row += 1; col = 0; }
            }
            const isStrip = w === 12 && h === 1 && el.classList.contains("panel-html");
            for (let i = row; i < row + h; i++) {
                taken[i] = taken[i] || [];
                for (let j = col; j < col + w; j++) { taken[i][j] = true; }
                strip[i] = (strip[i] === undefined ? true : strip[i]) && isStrip;
            }
            col += w;
        });
        return strip.map(function (s) { return s ? "auto" : "minmax(0, 1fr)"; }).join(" ");
    }

    function layoutGrid() {
        const wall = wallOn();
        let changed = false;
        document.querySelectorAll(".panel-grid").forEach(function (grid) {
            const panels = Array.prototype.filter.call(grid.children, function (el) {
                return el.classList.contains("panel");
            });
            const template = wall && panels.length ? rowTemplate(panels) : "";
            if (grid.style.gridTemplateRows !== template) {
                grid.style.gridTemplateRows = template;
                changed = true;
            }
        });
        // Maps and figures drawn before the rows were set measure their box again (Leaflet and
        // plotly follow window resizes).
        if (changed) { window.dispatchEvent(new Event("resize")); }
    }

    function relayout() { fit(); layoutGrid(); }

    // #app-root is rendered by Dash after this script runs, its mode class is set by the header
    // (in the layout or by its callback), and each page replaces the children of #_pages_content:
    // watch for all three.
    function watchRoot() {
        const found = root();
        const pages = document.getElementById("_pages_content");
        if (!found || !pages) {
            const waiting = new MutationObserver(function () {
                if (root() && document.getElementById("_pages_content")) { waiting.disconnect(); watchRoot(); }
            });
            waiting.observe(document.body, {childList: true, subtree: true});
            return;
        }
        new MutationObserver(relayout).observe(found, {attributes: true, attributeFilter: ["class"]});
        watchValues(pages);
        // the first page may come inside the layout (callbacks/first_page.py), its values already
        // there: they are the ones a refresh rolls from
        pages.querySelectorAll(".kpi-value").forEach(noteValue);
        showTime();
        // The header is drawn anew with each view, its clock empty: show the time at once, not at
        // the next tick.
        const status = document.getElementById("status-slot");
        if (status) {
            new MutationObserver(function () { showTime(); }).observe(status, {childList: true, subtree: true});
        }
        // A new page may reuse the elements of the last one (React): any change to the children of
        // the page container, the page or its grid re-lays the rows; changes inside panels do not.
        new MutationObserver(function (mutations) {
            if (mutations.some(function (m) {
                const el = m.target;
                return el === pages || el.classList.contains("page") || el.classList.contains("panel-grid");
            })) { layoutGrid(); }
        }).observe(pages, {childList: true, subtree: true});
        relayout();
    }

    // ---- clock ---------------------------------------------------------------------------------
    const WEEKDAYS = {zh: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
                      en: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]};
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function showTime() {
        const el = document.getElementById("clock");
        if (el) {
            const now = new Date();
            const text = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) + " " +
                WEEKDAYS[lang()][now.getDay()] + " " +
                pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
            if (el.textContent !== text) { el.textContent = text; }
        }
    }

    function tickClock() {
        showTime();
        setTimeout(tickClock, 1000 - (Date.now() % 1000) + 5);
    }

    // ---- input: pauses the carousel, shows the pointer -------------------------------------------
    let cursorTimer = null;
    function onInput() {
        const shell = carouselShell();
        if (shell) { shell.input(); }
        const html = document.documentElement;
        html.classList.remove("wall-idle");
        clearTimeout(cursorTimer);
        cursorTimer = setTimeout(function () { html.classList.add("wall-idle"); }, CURSOR_IDLE_MS);
    }

    function onKey(event) {
        onInput();
        if (event.key === "Escape" && wallOn()) {
            // Leave the wall for the desk view of the same page: a full load (as the header's
            // switch does) so that the page is laid out again for the desk, out of the carousel.
            const params = new URLSearchParams(window.location.search);
            params.delete("screen");
            const query = params.toString();
            window.top.location.assign(pagePath(window.location.pathname) + (query ? "?" + query : ""));
        }
    }

    // ---- the carousel's progress, drawn by the wall in this page's header ------------------------
    function showProgress(fraction, paused, quietSeconds) {
        const bar = document.getElementById("carousel-progress-bar");
        if (bar) { bar.style.transform = "scaleX(" + Math.max(0, Math.min(1, fraction)).toFixed(3) + ")"; }
        const notice = document.getElementById("carousel-paused");
        if (notice) {
            const text = paused ? words("轮播已暂停 · 无操作 " + quietSeconds + " 秒后继续",
                                        "Carousel paused · resumes after " + quietSeconds + " s without input") : "";
            if (notice.textContent !== text) { notice.textContent = text; }
        }
    }

    // ---- the refresh interval: off while the page is hidden or the server unreachable -----------
    function refreshPaused(state, screenConfig) {
        config = screenConfig;
        return !!(state && (state.hidden || state.offline));
    }

    function pushState() {
        setProps("screen-state", {data: {hidden: document.hidden, offline: connection.offline}});
    }

    // ---- connection lost and found ---------------------------------------------------------------
    function showConnection(text, tone) {
        const el = document.getElementById("connection-status");
        if (!el) { return; }
        el.textContent = text;
        el.className = "connection-status" + (tone ? " " + tone : "");
    }

    function lost() {
        connection.lostRequests += 1;
        if (connection.offline) { return; }
        connection.offline = true;
        showConnection(words("与服务器的连接已中断，正在重试…", "Connection to the server lost, retrying…"), "lost");
        pushState();
        clearInterval(connection.probe);
        connection.probe = setInterval(probe, PROBE_MS);
    }

    function probe() {
        originalFetch(HEALTH_URL, {cache: "no-store", credentials: "same-origin"}).then(function (response) {
            if (response.ok) { found(); }
        }, function () { /* still down: the next probe will tell */ });
    }

    function found() {
        if (!connection.offline) { return; }
        clearInterval(connection.probe);
        connection.offline = false;
        showConnection(words("连接已恢复", "Connection restored"), "restored");
        setTimeout(function () { if (!connection.offline) { showConnection("", ""); } }, RECOVERED_NOTICE_MS);
        pushState();
        if (connection.lostRequests) { resync(); }
        connection.lostRequests = 0;
    }

    // Requests lost during the outage may have left a page half drawn: ask again for what the
    // URL shows. If the router's answer was lost, the page in view is not the URL's page: route
    // again; otherwise re-run every panel (each answers "no update" when its data is unchanged).
    function resync() {
        const page = document.querySelector("[data-page]");
        const wanted = pagePath(window.location.pathname);
        if (!page || page.getAttribute("data-page") !== wanted) {
            setProps("_pages_location", {pathname: window.location.pathname, search: window.location.search});
        } else {
            setProps("data-version", {data: null});
        }
    }

    const originalFetch = window.fetch.bind(window);
    window.fetch = function (input, init) {
        const url = typeof input === "string" ? input : (input && input.url) || "";
        const dash = url.indexOf("/_dash-") !== -1;
        return originalFetch(input, init).then(function (response) {
            // 502–504: a proxy in front of a server that is down or restarting
            if (dash && response.status >= 502 && response.status <= 504) { lost(); }
            return response;
        }, function (error) {
            if (dash) { lost(); }
            throw error;
        });
    };

    // ---- a new red warning is announced --------------------------------------------------------
    // Only the page on show announces (in the wall, the page loading behind it keeps quiet), and
    // what was announced is kept per browser tab: the wall's two pages share it, and a reload
    // does not repeat it. The first look only records what is open (the ticker shows those).
    const SEEN_KEY = "cockpit.screen.reds";
    let reds = null;  // the last open red warnings from the server (components.screen.red_warnings)

    function onShow() { return !window.frameElement || window.frameElement.classList.contains("front"); }

    function seenKeys() {
        try { return JSON.parse(window.sessionStorage.getItem(SEEN_KEY)); } catch (e) { return null; }
    }

    function remember(keys) {
        try { window.sessionStorage.setItem(SEEN_KEY, JSON.stringify(keys)); } catch (e) { /* private mode */ }
    }

    function component(type, props, children) {
        return {type: type, namespace: "dash_html_components", props: Object.assign({children: children}, props)};
    }

    // The banner for the warnings not announced yet, or null. Texts are set as text (React
    // escapes them), never as HTML.
    function banner() {
        if (!reds || !onShow()) { return null; }
        const seen = seenKeys();
        remember(reds.rows.map(function (row) { return row.key; }));
        const fresh = seen === null ? [] : reds.rows.filter(function (row) { return seen.indexOf(row.key) < 0; });
        if (!fresh.length) { return null; }
        const serial = fresh.map(function (row) { return row.key; }).join(",") + "@" + Date.now();
        return component("Div", {className: "announce-card", key: serial}, [
            component("Div", {className: "announce-title"}, reds.title),
            component("Ul", {className: "announce-list"}, fresh.map(function (row) {
                return component("Li", {key: row.key}, [
                    component("Span", {className: "badge level-4"}, reds.level),
                    component("Span", {className: "announce-what"}, row.what),
                    component("Span", {className: "announce-value"}, row.value),
                ]);
            })),
        ]);
    }

    function announce(data) {
        reds = data;
        const card = banner();
        return card === null ? window.dash_clientside.no_update : card;
    }

    // Called by the wall when this page comes on show: anything it learnt while loading behind.
    function shown() {
        const card = banner();
        if (card !== null) { setProps("screen-announce", {children: card}); }
    }

    // ---- numbers roll to their new value ---------------------------------------------------------
    const rolling = new WeakMap();
    const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

    function roll(el, oldRaw) {
        const from = parseFloat(oldRaw), to = parseFloat(el.getAttribute("data-value"));
        const node = el.firstChild;
        if (!wallOn() || (reducedMotion && reducedMotion.matches) || !isFinite(from) || !isFinite(to) ||
            from === to || !node || node.nodeType !== Node.TEXT_NODE) { return; }
        const finalText = node.nodeValue;
        const match = finalText.match(/-?[\d,]*\.?\d+/);
        if (!match) { return; }
        // The server formats the value (units such as 万/亿, decimals, thousands separators):
        // intermediate values are written the same way, in the final value's unit.
        const shownNumber = parseFloat(match[0].replace(/,/g, ""));
        const factor = to !== 0 && shownNumber !== 0 ? shownNumber / to : 1;
        const decimals = (match[0].split(".")[1] || "").length;
        const format = new Intl.NumberFormat("en-US", {minimumFractionDigits: decimals,
                                                       maximumFractionDigits: decimals});
        const before = finalText.slice(0, match.index), after = finalText.slice(match.index + match[0].length);
        const started = performance.now();
        const token = {};
        rolling.set(el, token);
        let written = null;
        function frame(now) {
            if (rolling.get(el) !== token || (written !== null && node.nodeValue !== written)) { return; }
            const t = Math.min(1, (now - started) / ROLL_MS);
            const eased = 1 - Math.pow(1 - t, 3);
            written = t >= 1 ? finalText : before + format.format((from + (to - from) * eased) * factor) + after;
            node.nodeValue = written;
            if (t < 1) { window.requestAnimationFrame(frame); } else { rolling.delete(el); }
        }
        window.requestAnimationFrame(frame);
    }

    // A refreshed KPI panel may update its value element in place or render a new one: values
    // are remembered by card id for the URL in view, and a changed one rolls from the last.
    let seenValues = new Map(), seenFor = "";
    function noteValue(el) {
        const card = el.closest(".kpi-card");
        if (!card || !card.id) { return; }
        if (seenFor !== window.location.href) { seenValues = new Map(); seenFor = window.location.href; }
        const value = el.getAttribute("data-value");
        const last = seenValues.get(card.id);
        seenValues.set(card.id, value);
        if (last !== undefined && last !== value) { roll(el, last); }
    }

    function watchValues(container) {
        new MutationObserver(function (mutations) {
            const touched = new Set();
            mutations.forEach(function (m) {
                const target = m.target;
                if (m.type === "attributes") {
                    if (target.classList.contains("kpi-value")) { touched.add(target); }
                    return;
                }
                // figures and maps redraw often and hold no KPI: skip; a page (arriving drawn) or
                // an HTML panel may bring values
                if (!target.closest || target.closest(".js-plotly-plot, .leaflet-container")) { return; }
                m.addedNodes.forEach(function (node) {
                    if (node.nodeType !== Node.ELEMENT_NODE) { return; }
                    if (node.classList.contains("kpi-value")) { touched.add(node); }
                    node.querySelectorAll(".kpi-value").forEach(function (el) { touched.add(el); });
                });
            });
            touched.forEach(noteValue);
        }).observe(container, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-value"]});
    }

    // ---- fully drawn ----------------------------------------------------------------------------
    // Whether the page the URL names is in view with every panel drawn: figures with data or a
    // message, rankings and HTML panels with content, maps with regions. The wall shows a page only then.
    function drawn() {
        const page = document.querySelector("[data-page]");
        if (!page || page.getAttribute("data-page") !== pagePath(window.location.pathname) ||
            document.querySelector("[data-dash-is-loading='true']")) { return false; }
        return Array.prototype.every.call(page.querySelectorAll(".panel"), function (panel) {
            if (panel.classList.contains("panel-graph")) {
                const gd = panel.querySelector(".js-plotly-plot");
                return !!gd && !!gd.layout && ((gd.data || []).length > 0 || (gd.layout.annotations || []).length > 0);
            }
            if (panel.classList.contains("panel-map")) { return !!panel.querySelector(".leaflet-overlay-pane path"); }
            if (panel.classList.contains("panel-bars")) { return !!panel.querySelector(".bars-host > *"); }
            const body = panel.querySelector(".panel-html");
            return !!body && body.childNodes.length > 0;
        });
    }

    // ---- start ---------------------------------------------------------------------------------
    function start() {
        watchRoot();
        tickClock();
        window.addEventListener("resize", fit);
        ["pointerdown", "pointermove", "wheel", "touchstart"].forEach(function (type) {
            window.addEventListener(type, onInput, {capture: true, passive: true});
        });
        window.addEventListener("keydown", onKey, {capture: true});
        document.addEventListener("visibilitychange", pushState);
        window.addEventListener("offline", lost);
        window.addEventListener("online", probe);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }

    return {refreshPaused: refreshPaused, announce: announce, drawn: drawn, showProgress: showProgress, shown: shown,
            config: function () { return config; },
            connection: function () { return {offline: connection.offline}; }};
})();

window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.screen = {
    refreshPaused: window.cockpitScreen.refreshPaused,
    announce: window.cockpitScreen.announce,
    // the view to check for red warnings, only in screen mode (a desk never asks)
    screenView: function (version, pathname, search) {
        const screen = new URLSearchParams(search || "").getAll("screen").pop();
        const onScreen = screen === "1" || screen === "true" || /^\/screen(\/|$)/.test(pathname || "");
        return onScreen ? {pathname: pathname, search: search, version: version}
            : window.dash_clientside.no_update;
    },
};
