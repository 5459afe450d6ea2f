// 督办: a case's action button opens the dialog asking who acts and what the action needs
// (notice: requested action and deadline; verification: pass/fail and a note; escalation:
// penalty notes); confirming posts to /api/v1/supervision/{id}/{action} and, when the API
// says yes, shows the case with its timeline. "生成预警" runs the warning rules.
(function () {
  "use strict";
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var dialog = document.getElementById("sup-dialog");
  var error = document.getElementById("sup-error");
  var pending = null;  // {caseId, kind}

  function value(id) { return document.getElementById(id).value.trim(); }
  function showError(text) { error.textContent = text; error.hidden = false; }

  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                        body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (a) { return {ok: r.ok, answer: a}; }); });
  }

  function failure(answer) {
    var err = answer && answer.error;
    return msg["sup.failed"] + ": " + (err ? (err.field ? err.field + ": " : "") + err.reason
                                           : JSON.stringify(answer));
  }

  document.body.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-sup]");
    if (!button) { return; }
    pending = {caseId: button.dataset.case, kind: button.dataset.sup};
    document.getElementById("sup-dialog-title").textContent =
      msg["sup." + pending.kind] + " #" + pending.caseId;
    dialog.querySelectorAll("[data-for]").forEach(function (p) {
      p.hidden = p.dataset.for.split(" ").indexOf(pending.kind) < 0;
    });
    error.hidden = true;
    dialog.showModal();
  });

  document.getElementById("sup-cancel").addEventListener("click", function () {
    pending = null;
    dialog.close();
  });

  document.getElementById("sup-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!pending) { dialog.close(); return; }
    var body = {by: value("sup-by")};
    if (pending.kind === "notify") {
      body.action = value("sup-action");
      body.deadline = value("sup-deadline") || null;
    } else if (pending.kind === "verify") {
      body.result = value("sup-result");
      body.note = value("sup-note");
    } else if (pending.kind === "escalate") {
      body.penalty_note = value("sup-penalty");
    } else {
      body.note = value("sup-note") || null;
    }
    var caseId = pending.caseId;
    post("/api/v1/supervision/" + caseId + "/" + pending.kind, body).then(function (result) {
      if (!result.ok) { showError(failure(result.answer)); return; }
      pending = null;
      dialog.close();
      location.assign("/supervision?case=" + caseId);
    }).catch(function (err) { showError(msg["sup.failed"] + ": " + err.message); });
  });

  document.getElementById("run-warnings").addEventListener("click", function () {
    post("/api/v1/supervision/warnings", {by: "web"}).then(function (result) {
      if (result.ok) { location.reload(); } else { alert(failure(result.answer)); }
    });
  });
})();
