// 报警: a row's acknowledge / close button opens the dialog asking who acts (处理人, required)
// and why (备注, required to close); confirming posts to the API
// (POST /api/v1/alarms/{id}/acknowledge|close with {"by", "note"}; the answer is the alarm's
// object) and the row shows the alarm's new status. The API checks the same rules (400).
(function () {
  "use strict";
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var statusNames = JSON.parse(document.getElementById("values").textContent).status;
  var dialog = document.getElementById("alarm-dialog");
  var by = document.getElementById("alarm-by");
  var note = document.getElementById("alarm-note");
  var error = document.getElementById("alarm-dialog-error");
  var pending = null;  // {row, button, action} the dialog is about

  function showError(text) { error.textContent = text; error.hidden = false; }

  // 督办: open a supervision case from the alarm (its evidence carried) and show it.
  document.getElementById("alarms").addEventListener("click", function (e) {
    var button = e.target.closest("button[data-supervise]");
    if (!button) { return; }
    fetch("/api/v1/supervision/open", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({alarm: Number(button.dataset.supervise), by: by.value.trim()})
    }).then(function (r) { return r.json().then(function (a) { return {ok: r.ok, answer: a}; }); })
      .then(function (result) {
        if (result.ok) { location.assign("/supervision?case=" + result.answer.id); return; }
        var err = result.answer && result.answer.error;
        button.title = msg["alarms.failed"] + ": " + (err ? err.reason : "");
      });
  });

  document.getElementById("alarms").addEventListener("click", function (e) {
    var button = e.target.closest("button[data-action]");
    if (!button) { return; }
    var row = button.closest("tr");
    pending = {row: row, button: button, action: button.dataset.action};
    document.getElementById("alarm-dialog-title").textContent =
      msg[pending.action === "close" ? "alarms.close" : "alarms.ack"] + " #" + row.dataset.alarmId;
    note.required = pending.action === "close";
    note.value = "";
    error.hidden = true;
    dialog.showModal();
    (by.value ? note : by).focus();
  });

  document.getElementById("alarm-cancel").addEventListener("click", function () {
    pending = null;
    dialog.close();
  });

  document.getElementById("alarm-form").addEventListener("submit", function (e) {
    e.preventDefault();  // the dialog closes when the API said yes, not before
    if (!pending) { dialog.close(); return; }
    var body = {by: by.value.trim(), note: note.value.trim() || null};
    if (!body.by) { showError(msg["alarms.by_required"]); by.focus(); return; }
    if (pending.action === "close" && !body.note) {
      showError(msg["alarms.note_required"]); note.focus(); return;
    }
    var row = pending.row, button = pending.button;
    var confirm = document.getElementById("alarm-confirm");
    confirm.disabled = true;
    fetch("/api/v1/alarms/" + row.dataset.alarmId + "/" + pending.action, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (answer) { return {ok: r.ok, answer: answer}; });
    }).then(function (result) {
      confirm.disabled = false;
      if (!result.ok) {
        var err = result.answer && result.answer.error;
        showError(msg["alarms.failed"] + ": " + (err ? (err.field ? err.field + ": " : "") +
                                                 err.reason : JSON.stringify(result.answer)));
        return;
      }
      var alarm = result.answer;  // the alarm's object after the transition
      row.className = "status-" + alarm.status;
      row.querySelector("td.status").textContent = statusNames[alarm.status] || alarm.status;
      row.querySelectorAll("button[data-action]").forEach(function (b) {
        if (alarm.status === "closed" || b.dataset.action === "acknowledge") { b.remove(); }
      });
      pending = null;
      dialog.close();
    }).catch(function (err) {
      confirm.disabled = false;
      showError(msg["alarms.failed"] + ": " + err.message);
      button.closest("td.actions").title = msg["alarms.failed"] + ": " + err.message;
    });
  });
})();
