// 用户管理 (/users): add, disable and reset a password through POST /api/v1/users/… (the
// session's CSRF token is added by session.js); the page reloads after an addition or a
// disabling (the table changes), says done after a reset; an error is shown as the API words
// it (the field and the reason).
(function () {
  "use strict";
  var script = document.currentScript;
  var message = document.getElementById("users-message");

  function say(text) { message.textContent = text; message.hidden = false; }

  function post(path, body, reload) {
    return fetch("/api/v1/users/" + path, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)
    }).then(function (answer) {
      return answer.json().then(function (data) {
        if (!answer.ok) {
          var error = data.error || {};
          say((error.field ? error.field + ": " : "") + (error.reason || answer.status));
          return;
        }
        say(script.dataset.done);
        if (reload) { window.location.reload(); }
      });
    }, function (error) { say(String(error)); });
  }

  document.getElementById("user-add").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, body = {};
    ["username", "role", "region", "unit", "password"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value || name === "password") { body[name] = form.elements[name].value; }
    });
    post("add", body, true);
  });
  document.querySelectorAll(".user-disable").forEach(function (button) {
    button.addEventListener("click", function () {
      button.disabled = true;
      post("disable", {username: button.dataset.username}, true);
    });
  });
  document.querySelectorAll(".user-reset").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      post("reset-password", {username: form.dataset.username,
                              password: form.elements.password.value}, false);
      form.reset();
    });
  });
})();
