/* The pages router's "no update", given in the browser when the path does not change.
 *
 * Dash pages sends its router callback (the page for the URL) when its location mounts (that
 * answer brings the first page) and on every change of the URL. A drill or a filter changes only
 * the query string, and the page then keeps its components while the panel callbacks update them
 * in place (components/page.py, only_query_changed, answers "no update" on the server too). Sent
 * to the server, that answer costs a request beside the header's and the panels' on every click,
 * on a machine whose cores the browser shares. Here a router request for the path of the page on
 * show is answered at once as the server answers "no update" (204) — also when Dash names the path
 * as changed without a change (the first URL change after a page load does).
 * Another path goes to the server, and is the page on show once the server has answered. (A new
 * language reloads the page: components/frame.py.)
 *
 * The first page comes inside the layout (callbacks/first_page.py): the layout is asked for with
 * the URL on show (`for`), and when the server answers that it holds that page drawn, the requests
 * its locations send as they mount — the router's, the header's, the panels', each triggered by
 * the location alone and for that same URL — are answered "no update" here: the page shows what
 * they would fetch. The first change of URL ends that.
 */
(function () {
    const ROUTER_OUTPUT = "_pages_content.children";
    const LOCATIONS = ["url", "_pages_location"];
    const MOUNTED_PROPS = ["url.pathname", "url.search", "_pages_location.pathname", "_pages_location.search"];
    let shownPath = null;  // the page on show: from the layout, or the router's last answer
    let drawnFor = null;  // {pathname, search} the layout's page was drawn for, until the URL changes
    // how many router requests went to the server and how many were answered here (for diagnosis)
    const counts = window.cockpitRouter = {sent: 0, answered: 0, mounted: 0, firstPage: false};
    const originalFetch = window.fetch.bind(window);

    function parsed(body) {
        if (typeof body !== "string") { return null; }
        try { return JSON.parse(body); } catch (e) { return null; }
    }

    function routedPath(request) {
        if (!request || String(request.output).indexOf(ROUTER_OUTPUT) === -1) { return null; }
        const input = (request.inputs || []).find(function (item) {
            return item.id === "_pages_location" && item.property === "pathname";
        });
        return input ? String(input.value) : null;
    }

    // A request sent only because a location mounted, for the URL the layout's page was drawn for.
    function mountedOnDrawnPage(request) {
        const changed = request && request.changedPropIds;
        if (!drawnFor || !Array.isArray(changed) || changed.length === 0
            || !changed.every(function (prop) { return MOUNTED_PROPS.indexOf(prop) !== -1; })) {
            return false;
        }
        return [].concat(request.inputs || [], request.state || []).every(function (item) {
            if (Array.isArray(item) || LOCATIONS.indexOf(item.id) === -1) { return true; }
            return item.property === "pathname" ? item.value === drawnFor.pathname
                : item.property === "search" ? (item.value || "") === drawnFor.search : true;
        });
    }

    function forgetDrawnPage() { drawnFor = null; }
    ["pushState", "replaceState"].forEach(function (name) {
        const original = window.history[name].bind(window.history);
        window.history[name] = function () { forgetDrawnPage(); return original.apply(null, arguments); };
    });
    window.addEventListener("popstate", forgetDrawnPage);

    function askLayout(url, init) {
        const asked = {pathname: window.location.pathname, search: window.location.search};
        const withPage = url + (url.indexOf("?") === -1 ? "?" : "&") + "for="
            + encodeURIComponent(asked.pathname + asked.search);
        return originalFetch(withPage, init).then(function (response) {
            if (response.ok && response.headers.get("X-Cockpit-Page") === "drawn"
                && window.location.pathname === asked.pathname && window.location.search === asked.search) {
                drawnFor = asked;
                shownPath = asked.pathname;
                counts.firstPage = true;
            }
            return response;
        });
    }

    const noUpdate = function () { return Promise.resolve(new Response(null, {status: 204})); };
    window.fetch = function (input, init) {
        const url = typeof input === "string" ? input : (input && input.url) || "";
        if (url.indexOf("/_dash-layout") !== -1 && typeof input === "string") { return askLayout(url, init); }
        if (url.indexOf("/_dash-update-component") === -1 || !init) { return originalFetch(input, init); }
        const mayBeRouter = typeof init.body === "string" && init.body.indexOf(ROUTER_OUTPUT) !== -1;
        if (!drawnFor && !mayBeRouter) { return originalFetch(input, init); }
        const request = parsed(init.body);
        if (mountedOnDrawnPage(request)) {
            counts.mounted += 1;
            return noUpdate();
        }
        const path = routedPath(request);
        if (path === null) { return originalFetch(input, init); }
        if (path === shownPath) {
            counts.answered += 1;
            return noUpdate();
        }
        counts.sent += 1;
        return originalFetch(input, init).then(function (response) {
            if (response.ok) { shownPath = path; }
            return response;
        });
    };
})();
