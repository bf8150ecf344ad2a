/* The wall (大屏轮播): cycles through the cockpits in screen mode, each shown fully drawn.
 *
 * assets/wall.html holds two frames of the same origin. One shows the current cockpit; the other
 * loads the next one meanwhile, and the two swap only once the next cockpit is fully drawn
 * (cockpitScreen.drawn in assets/screen.js), so a switch is a single repaint whatever the page
 * costs to build. Each cockpit is a fresh page load in the hidden frame: nothing accumulates in
 * the browser over days of switching.
 *
 * Which cockpits, in what order and how long each: the server's configuration (COCKPIT_CAROUSEL,
 * COCKPIT_CAROUSEL_SECONDS), read from the first page's screen-config store. Any touch, click,
 * key or wheel in the page on show pauses the carousel until a quiet period has passed. While
 * the page on show has lost the server, the wall stays on it (with its notice) until it is back.
 *
 * Dash includes every script of assets/ in its pages too: there this file does nothing.
 */
(function () {
    "use strict";
    if (!document.body || !document.body.classList.contains("wall-shell")) { return; }

    const TICK_MS = 1000;
    const LOAD_AFTER_SWAP_MS = 1500;   // let the page just shown paint before the next one loads
    const LOAD_TIMEOUT_MS = 15000;     // a next page not drawn by then (server down …) is loaded again
    const KEPT = ["region", "start", "end", "lang"];  // what every cockpit takes from the wall's own URL

    const frames = Array.prototype.slice.call(document.querySelectorAll(".wall-frame"));
    const loadedAt = [0, 0];
    let front = 0;                     // the frame on show
    let plan = null;                   // [{path, seconds}] once known
    let quietSeconds = 60;
    let shownSince = Date.now();
    let lastInput = 0;

    const query = (function () {
        const own = new URLSearchParams(window.location.search);
        const kept = new URLSearchParams();
        KEPT.forEach(function (name) { if (own.get(name)) { kept.set(name, own.get(name)); } });
        kept.set("screen", "1");
        return kept.toString();
    })();

    // The page's screen API, or null while it loads or when the frame holds a browser error page.
    function screenOf(frame) {
        try { return frame.contentWindow.cockpitScreen || null; } catch (e) { return null; }
    }

    function load(index, path) {
        frames[index].dataset.path = path;
        loadedAt[index] = Date.now();
        // replace: the frames' pages never pile up in the tab's history
        frames[index].contentWindow.location.replace(path + "?" + query);
    }

    function position(path) {
        return plan.findIndex(function (entry) { return entry.path === path; });
    }

    function nextPath() {
        return plan[(position(frames[front].dataset.path) + 1) % plan.length].path;  // not in the plan: the first
    }

    function dwellMs() {
        const index = position(frames[front].dataset.path);
        return (index >= 0 ? plan[index] : plan[0]).seconds * 1000;
    }

    function swap() {
        const back = 1 - front;
        frames[back].classList.add("front");
        frames[back].removeAttribute("aria-hidden");
        frames[front].classList.remove("front");
        frames[front].setAttribute("aria-hidden", "true");
        front = back;
        shownSince = Date.now();
        const shown = screenOf(frames[front]);
        if (shown) {
            shown.showProgress(0, false, quietSeconds);
            shown.shown();
        }
        setTimeout(function () { load(1 - front, nextPath()); }, LOAD_AFTER_SWAP_MS);
    }

    function tick() {
        if (document.hidden) { return; }
        const shown = screenOf(frames[front]);
        if (plan === null) {  // the configuration comes with the first page
            const config = shown && shown.config();
            if (!config) { return; }
            plan = config.pages;
            quietSeconds = config.quietSeconds;
            shownSince = Date.now();
            if (plan.length > 1 || (plan.length === 1 && position(frames[front].dataset.path) < 0)) {
                load(1 - front, nextPath());
            }
            return;
        }
        if (!plan.length) { return; }
        const now = Date.now();
        const alone = plan.length === 1 && position(frames[front].dataset.path) === 0;
        const paused = now - lastInput < quietSeconds * 1000;
        if (shown) { shown.showProgress(alone ? 0 : (now - shownSince) / dwellMs(), paused, quietSeconds); }
        if (alone || paused || now - shownSince < dwellMs()) { return; }
        if (shown && shown.connection().offline) { return; }
        const next = screenOf(frames[1 - front]);
        if (next && next.drawn()) {
            swap();
        } else if (now - loadedAt[1 - front] > LOAD_TIMEOUT_MS) {
            load(1 - front, frames[1 - front].dataset.path);
        }
    }

    window.cockpitWall = {
        input: function () { lastInput = Date.now(); },  // called by the page on show (assets/screen.js)
    };
    load(front, "/");
    setInterval(tick, TICK_MS);
})();
