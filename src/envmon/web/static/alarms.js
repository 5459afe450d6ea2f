// 报警: acknowledge / close buttons post to the API (POST /api/v1/alarms/{id}/acknowledge|close
// with {"by", "note"}; the answer is the alarm's object) and show the alarm's new status.
(function () {
  "use strict";
  var msg = JSON.parse(document.getElementById("messages").textContent);
  document.getElementById("alarms").addEventListener("click", function (e) {
    var button = e.target.closest("button[data-action]");
    if (!button) { return; }
    var row = button.closest("tr");
    // No name: the server keeps "web <address>" (JSON.stringify drops an undefined `by`).
    var body = {by: document.getElementById("alarm-by").value.trim() || undefined,
                note: document.getElementById("alarm-note").value.trim() || null};
    button.disabled = true;
    fetch("/api/v1/alarms/" + row.dataset.alarmId + "/" + button.dataset.action, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (answer) { return {ok: r.ok, answer: answer}; });
    }).then(function (result) {
      if (!result.ok) { throw new Error(JSON.stringify(result.answer)); }
      var alarm = result.answer;  // the alarm's object after the transition
      row.className = "status-" + alarm.status;
      row.querySelector("td.status").textContent = alarm.status;
      row.querySelectorAll("button[data-action]").forEach(function (b) {
        if (alarm.status === "closed" || b.dataset.action === "acknowledge") { b.remove(); }
      });
    }).catch(function (err) {
      button.disabled = false;
      row.querySelector("td.actions").title = msg["alarms.failed"] + ": " + err.message;
      row.classList.add("failed");
    });
  });
})();
