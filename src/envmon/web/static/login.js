// The login page: posts {"username", "password"} as JSON to /api/v1/auth/login (the session
// cookie comes back HttpOnly) and goes on to ?next= (a path of this site only).
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  if (!form) { return; }
  var error = document.getElementById("login-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    error.textContent = "";
    fetch("/api/v1/auth/login", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({username: form.username.value, password: form.password.value})
    }).then(function (r) {
      return r.json().then(function (answer) { return {ok: r.ok, answer: answer}; });
    }).then(function (result) {
      button.disabled = false;
      if (!result.ok) {
        var err = result.answer && result.answer.error;
        error.textContent = form.dataset.failed + ": " + (err ? err.reason : "");
        form.password.value = "";
        form.password.focus();
        return;
      }
      var next = new URLSearchParams(window.location.search).get("next") || "/";
      if (next.charAt(0) !== "/" || next.charAt(1) === "/" || next.charAt(1) === "\\") {
        next = "/";
      }
      window.location.href = next;
    }).catch(function (err) {
      button.disabled = false;
      error.textContent = form.dataset.failed + ": " + err.message;
    });
  });
})();
