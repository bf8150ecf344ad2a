/* Components look at the store once per burst of updates, not once per update.
 *
 * Dash's renderer (4.4) applies a callback's answer as one store update per output, and every
 * component it mounts dispatches one more (RESET_COMPONENT_STATE, clearing the change hashes under
 * its path). After each update react-redux makes every mounted component re-run its store
 * selector: a drill on the overview made ~300 updates × ~400 components, most of a click's time in
 * the browser.
 *
 * Two changes, both confined to when things are looked at, not what they see:
 *  - subscribers added after the store is made (react-redux's, which drives the components) are
 *    told of changes once per microtask, after the synchronous burst that made them; React reads the
 *    store's current state whenever it renders, so no component ever draws an old state. Dash's own
 *    callback machinery subscribed before, and keeps being told of every update at once;
 *  - the resets of one commit are dispatched together once its effects have run, keeping only the
 *    outermost paths (a reset removes every hash whose path starts with its own, compared as text as
 *    the renderer does; React runs a child's effects before its parent's), which removes exactly the
 *    hashes the individual resets would.
 * This file must load before the renderer makes its store (assets load before dash_renderer.js).
 */
(function () {
    const RESET = "RESET_COMPONENT_STATE";

    function outermost(paths) {
        const texts = paths.map((p) => ({path: p, text: p.join(",")}))
            .sort((a, b) => a.text.length - b.text.length);
        const kept = [];
        for (const candidate of texts) {
            if (!kept.some((k) => candidate.text.startsWith(k.text))) {
                kept.push(candidate);
            }
        }
        return kept.map((k) => k.path);
    }

    function batchResets(store) {
        const dispatch = store.dispatch;
        let pending = null;
        function flush() {
            const paths = pending;
            pending = null;
            for (const itempath of outermost(paths)) {
                dispatch({type: RESET, payload: {itempath}});
            }
        }
        store.dispatch = function (action) {
            const itempath = action && action.type === RESET && action.payload && action.payload.itempath;
            if (!Array.isArray(itempath)) {
                return dispatch(action);
            }
            if (pending === null) {
                pending = [];
                queueMicrotask(flush);
            }
            pending.push(itempath);
            return action;
        };
    }

    // One task later: Dash applies an answer's outputs in a chain of promise callbacks (microtasks),
    // so the whole chain is seen at once.
    const channel = new MessageChannel();
    const queued = [];
    channel.port1.onmessage = function () {
        const due = queued.splice(0);
        for (const run of due) {
            run();
        }
    };
    function nextTask(run) {
        queued.push(run);
        if (queued.length === 1) {
            channel.port2.postMessage(null);
        }
    }

    function coalesceNotifications(store) {
        const subscribe = store.subscribe;
        store.subscribe = function (listener) {
            let scheduled = false;
            let active = true;
            function notifyOnce() {
                scheduled = false;
                if (active) {
                    listener();
                }
            }
            const unsubscribe = subscribe(function () {
                if (!scheduled) {
                    scheduled = true;
                    nextTask(notifyOnce);
                }
            });
            return function () {
                active = false;
                return unsubscribe();
            };
        };
    }

    function install(store) {
        if (!store || store.__cockpitBatched) {
            return store;
        }
        store.__cockpitBatched = true;
        coalesceNotifications(store);
        batchResets(store);
        return store;
    }

    // The renderer assigns window.store right after making the store, before React mounts.
    let current = window.store;
    if (current) {
        install(current);
    } else {
        Object.defineProperty(window, "store", {
            configurable: true,
            enumerable: true,
            get() { return current; },
            set(value) { current = install(value); },
        });
    }
})();
