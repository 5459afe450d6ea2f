// 企业首页: an alarm's answer (a note and files) posts multipart to /api/v1/portal/alarm-answer,
// a notice's answer and a data mark post JSON to /api/v1/portal/notice-answer and /mark; each
// says what the API answered next to its form, and the page reloads after a success.
(function () {
  "use strict";
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var unit = document.getElementById("portal-unit").dataset.unit;
  var query = "?unit=" + encodeURIComponent(unit);

  function said(form, ok, answer) {
    var out = form.querySelector(".result");
    var err = answer && answer.error;
    out.textContent = ok ? msg["portal.done"] : msg["portal.failed"] + ": " +
      (err ? (err.field ? err.field + ": " : "") + err.reason : "");
    out.className = "result " + (ok ? "ok" : "warn");
    if (ok) { window.setTimeout(function () { window.location.reload(); }, 600); }
  }

  function send(form, path, init) {
    init.method = "POST";
    fetch(path + query, init).then(function (r) {
      return r.json().then(function (a) { said(form, r.ok, a); },
                           function () { said(form, false, null); });
    }, function () { said(form, false, null); });
  }

  document.querySelectorAll("form.alarm-answer").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var data = new FormData(form);
      data.append("alarm_id", form.dataset.alarm);
      send(form, "/api/v1/portal/alarm-answer", {body: data});
    });
  });

  function json(body) {
    return {headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  }

  document.querySelectorAll("form.notice-answer").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(form, "/api/v1/portal/notice-answer",
           json({case_id: Number(form.dataset["case"]), note: form.note.value}));
    });
  });

  var mark = document.getElementById("mark-form");
  if (mark) {
    mark.addEventListener("submit", function (e) {
      e.preventDefault();
      send(mark, "/api/v1/portal/mark", json({
        mn: mark.mn.value, type: mark.type.value, from: mark.from.value,
        to: mark.to.value, note: mark.note.value || null}));
    });
  }
})();
