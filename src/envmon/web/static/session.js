// The page session (envmon.web.gate): every change a page's script sends carries the
// session's CSRF token (X-CSRF-Token, from <meta name="csrf-token">), and the header's
// logout button ends the session. Loaded in <head>, before any page script calls fetch.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta && meta.content;
  if (token && window.fetch) {
    var original = window.fetch;
    window.fetch = function (input, init) {
      init = init || {};
      var method = (init.method || "GET").toUpperCase();
      if (method !== "GET" && method !== "HEAD") {
        var headers = new Headers(init.headers || {});
        headers.set("X-CSRF-Token", token);
        init.headers = headers;
      }
      return original.call(window, input, init);
    };
  }
  document.addEventListener("DOMContentLoaded", function () {
    var logout = document.getElementById("logout");
    if (!logout) { return; }
    logout.addEventListener("click", function () {
      logout.disabled = true;
      fetch("/api/v1/auth/logout", {
        method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"
      }).then(function () { window.location.href = "/login"; },
              function () { window.location.href = "/login"; });
    });
  });
})();
