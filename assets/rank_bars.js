/* Rankings drawn as HTML bars (components/rank_bars.py).
 *
 * The server sends each ranking's HTML, escaped, in its host's data-bars attribute (a Dash prop
 * like a graph's figure). Here it is put in place as soon as React has set the attribute (a
 * mutation observer, run before the page is painted again) and, for hosts that mount with their
 * HTML already set (a page arriving), at the frame after Dash's store changes. React never draws
 * into a host (it has no children), so nothing fights over its content.
 *
 * A click on a bar is handled with the charts' clicks (assets/cockpit_events.js); here also the
 * bars' tooltips, one element on the page placed at the pointer (fixed, so a panel never clips it).
 * `cockpitBars.counts.drawn` counts the draws, and each draw fires "cockpit:bars-drawn" (benchmarks time it).
 */
window.cockpitBars = (function () {
    const counts = {drawn: 0};
    let scheduled = false;

    function draw(host) {
        const html = host.getAttribute("data-bars") || "";
        if (host.__cockpitBars === html) { return; }
        host.__cockpitBars = html;
        host.innerHTML = html;
        counts.drawn += 1;
        document.dispatchEvent(new CustomEvent("cockpit:bars-drawn"));
    }

    function drawAll() {
        scheduled = false;
        document.querySelectorAll(".bars-host").forEach(draw);
    }

    function schedule() {
        if (!scheduled) {
            scheduled = true;
            window.requestAnimationFrame(drawAll);
        }
    }

    function watch() {
        if (!window.store) {
            window.setTimeout(watch, 20);
            return;
        }
        window.store.subscribe(schedule);
        schedule();
    }

    // ---- tooltips ---------------------------------------------------------------------------------
    let tip = null;

    function showTip(event) {
        const bar = event.target.closest && event.target.closest(".rank-bar[data-tip]");
        if (!bar) {
            if (tip) { tip.hidden = true; }
            return;
        }
        if (!tip) {
            tip = document.createElement("div");
            tip.className = "rank-tip";
            tip.setAttribute("role", "tooltip");
            document.body.appendChild(tip);
        }
        if (tip.textContent !== bar.dataset.tip) { tip.textContent = bar.dataset.tip; }
        tip.hidden = false;
        const x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 4);
        const y = event.clientY + 18 + tip.offsetHeight > window.innerHeight ? event.clientY - tip.offsetHeight - 10
            : event.clientY + 18;
        tip.style.left = x + "px";
        tip.style.top = y + "px";
    }

    function start() {
        watch();
        new MutationObserver(function (records) {
            records.forEach(function (record) {
                if (record.target.classList.contains("bars-host")) { draw(record.target); }
            });
        }).observe(document.documentElement, {subtree: true, attributes: true, attributeFilter: ["data-bars"]});
        document.addEventListener("pointermove", showTip, {passive: true});
        document.addEventListener("pointerleave", function () { if (tip) { tip.hidden = true; } });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
    return {counts: counts};
})();
