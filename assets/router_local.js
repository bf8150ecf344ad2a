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
 */
(function () {
    const ROUTER_OUTPUT = "_pages_content.children";
    let shownPath = null;  // the first page comes with the router's answer when the location mounts
    // how many router requests went to the server and how many were answered here (for diagnosis)
    const counts = window.cockpitRouter = {sent: 0, answered: 0};

    function routedPath(body) {
        if (typeof body !== "string" || body.indexOf(ROUTER_OUTPUT) === -1) { return null; }
        try {
            const request = JSON.parse(body);
            if (String(request.output).indexOf(ROUTER_OUTPUT) === -1) { return null; }
            const input = (request.inputs || []).find(function (item) {
                return item.id === "_pages_location" && item.property === "pathname";
            });
            return input ? String(input.value) : null;
        } catch (e) {
            return null;
        }
    }

    const originalFetch = window.fetch.bind(window);
    window.fetch = function (input, init) {
        const url = typeof input === "string" ? input : (input && input.url) || "";
        const path = url.indexOf("/_dash-update-component") !== -1 && init ? routedPath(init.body) : null;
        if (path === null) { return originalFetch(input, init); }
        if (path === shownPath) {
            counts.answered += 1;
            return Promise.resolve(new Response(null, {status: 204}));
        }
        counts.sent += 1;
        return originalFetch(input, init).then(function (response) {
            if (response.ok) { shownPath = path; }
            return response;
        });
    };
})();
