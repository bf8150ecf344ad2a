// Sends the browser to the sign-in page when a Dash request finds the session gone (HTTP 401),
// instead of leaving a dashboard whose callbacks silently fail. Served at /auth/session-expiry.js.
(function () {
  var originalFetch = window.fetch;
  var leaving = false;
  window.fetch = function () {
    return originalFetch.apply(this, arguments).then(function (response) {
      if (response.status === 401 && !leaving) {
        leaving = true;
        var here = window.location.pathname + window.location.search;
        window.location.assign('/login?next=' + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
