/* The browser's own trim, parseFloat and parseInt, put back after Dash's polyfill.

   Dash ships babel-polyfill 7.12 (core-js 2), whose list of white space still holds U+180E, which
   stopped being white space in ES2016. Its feature tests therefore judge every current browser's
   String.prototype.trim, parseFloat and parseInt broken and replace them with versions that run two
   regular expressions per call. Plotly calls parseFloat and trim thousands of times per redraw: on
   the overview that was ~18 ms of every click (a CPU profile put core-js's trim among the top
   functions). The built-ins of a fresh realm (an empty iframe) are the untouched native ones; they
   differ from core-js's only on U+180E. Runs after the polyfill (assets follow Dash's dependencies)
   and before Plotly and the renderer. */
(function () {
  "use strict";
  var frame = document.createElement("iframe");
  frame.style.display = "none";
  frame.setAttribute("aria-hidden", "true");
  (document.body || document.documentElement).appendChild(frame);
  try {
    var pristine = frame.contentWindow;
    var strings = pristine.String.prototype;
    ["trim", "trimStart", "trimEnd", "trimLeft", "trimRight"].forEach(function (name) {
      if (typeof strings[name] === "function" && String.prototype[name] !== strings[name]) {
        Object.defineProperty(String.prototype, name,
          {value: strings[name], writable: true, configurable: true, enumerable: false});
      }
    });
    window.parseFloat = Number.parseFloat = pristine.parseFloat;
    window.parseInt = Number.parseInt = pristine.parseInt;
  } finally {
    frame.remove();
  }
})();
