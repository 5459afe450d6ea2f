// 数据标记: the filing form posts the mark (POST /api/v1/marks/file, JSON), then each chosen
// proof file as multipart (POST /api/v1/marks/{id}/proofs, field "proof") and reloads the list;
// a row's 通过 / 驳回 / 撤回 posts {"mark_id", "by", ...} to /api/v1/marks/approve|reject|withdraw
// and the row shows the mark's new status. The API checks every rule and names the field.
(function () {
  "use strict";
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var by = document.getElementById("mark-by");
  var reason = document.getElementById("mark-reason");
  var error = document.getElementById("mark-error");
  var result = document.getElementById("mark-form-result");

  function explain(answer) {
    var err = answer && answer.error;
    return msg["marks.failed"] + ": " + (err ? (err.field ? err.field + ": " : "") + err.reason
                                         : JSON.stringify(answer));
  }
  function send(url, options) {
    return fetch(url, options).then(function (r) {
      return r.json().then(function (answer) { return {ok: r.ok, answer: answer}; });
    });
  }
  function postJson(url, body) {
    return send(url, {method: "POST", headers: {"Content-Type": "application/json"},
                      body: JSON.stringify(body)});
  }
  function beijing(value) { return value ? value + ":00+08:00" : ""; }

  document.getElementById("mark-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var who = by.value.trim();
    if (!who) { result.textContent = msg["marks.by_required"]; by.focus(); return; }
    var body = {
      mn: document.getElementById("mark-mn").value.trim(),
      type: document.getElementById("mark-type").value,
      from: beijing(document.getElementById("mark-from").value),
      to: beijing(document.getElementById("mark-to").value),
      by: who,
      factor: document.getElementById("mark-factor").value.trim() || null,
      note: document.getElementById("mark-note").value.trim() || null
    };
    var files = Array.prototype.slice.call(document.getElementById("mark-proof").files);
    var submit = document.getElementById("mark-submit");
    submit.disabled = true;
    postJson("/api/v1/marks/file", body).then(function (filed) {
      if (!filed.ok) { throw filed.answer; }
      var id = filed.answer.id;
      return files.reduce(function (chain, file) {
        return chain.then(function () {
          var form = new FormData();
          form.append("by", who);
          form.append("proof", file, file.name);
          return send("/api/v1/marks/" + id + "/proofs", {method: "POST", body: form})
            .then(function (up) { if (!up.ok) { throw up.answer; } });
        });
      }, Promise.resolve()).then(function () {
        result.textContent = msg["marks.filed_ok"] + " " + id;
        window.location.reload();
      });
    }).catch(function (answer) {
      submit.disabled = false;
      result.textContent = explain(answer);
    });
  });

  document.getElementById("marks").addEventListener("click", function (e) {
    var button = e.target.closest("button[data-action]");
    if (!button) { return; }
    var row = button.closest("tr");
    var action = button.dataset.action;
    var body = {mark_id: Number(row.dataset.markId), by: by.value.trim()};
    error.hidden = true;
    if (!body.by) { error.textContent = msg["marks.by_required"]; error.hidden = false; by.focus(); return; }
    if (action === "reject") {
      body.reason = reason.value.trim();
      if (!body.reason) { error.textContent = msg["marks.reason_required"]; error.hidden = false; reason.focus(); return; }
    }
    if (action === "approve") {
      if (reason.value.trim()) { body.note = reason.value.trim(); }
      if (row.dataset.late === "true") {
        if (!window.confirm(msg["marks.late_confirm"])) { return; }
        body.accept_late = true;
      }
    }
    button.disabled = true;
    postJson("/api/v1/marks/" + action, body).then(function (answer) {
      button.disabled = false;
      if (!answer.ok) { error.textContent = explain(answer.answer); error.hidden = false; return; }
      var mark = answer.answer;
      row.className = "status-" + mark.status;
      row.querySelector("td.status").textContent = msg["marks.st." + mark.status];
      row.querySelector("td.reviewed").textContent =
        (mark.reviewed_by || "") + (mark.review_reason ? " " + mark.review_reason : "");
      row.querySelector("td.actions").textContent = "";
    });
  });
})();
