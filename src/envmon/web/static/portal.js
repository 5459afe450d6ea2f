// 企业首页: an alarm's answer (a note and files) posts multipart to /api/v1/portal/alarm-answer,
// a notice's answer and a data mark post JSON to /api/v1/portal/notice-answer and /mark (a
// mark's proof files then go to /api/v1/marks/{id}/proofs, multipart, field "proof"); each
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

  // A mark's proof files follow it one by one, as on the marks page (the proofs route lets a
  // unit's filer add them to its own submitted mark); the form says the first refusal.
  function proofs(form, id, files) {
    return files.reduce(function (chain, file) {
      return chain.then(function () {
        var data = new FormData();
        data.append("by", form.dataset.by || "");
        data.append("proof", file, file.name);
        return fetch("/api/v1/marks/" + id + "/proofs", {method: "POST", body: data})
          .then(function (r) {
            return r.json().then(function (a) { if (!r.ok) { throw a; } },
                                 function () { if (!r.ok) { throw null; } });
          });
      });
    }, Promise.resolve());
  }

  var mark = document.getElementById("mark-form");
  if (mark) {
    mark.addEventListener("submit", function (e) {
      e.preventDefault();
      var files = Array.prototype.slice.call(mark.proof ? mark.proof.files : []);
      var init = json({
        mn: mark.mn.value, type: mark.type.value, from: mark.from.value,
        to: mark.to.value, note: mark.note.value || null});
      init.method = "POST";
      fetch("/api/v1/portal/mark" + query, init).then(function (r) {
        return r.json().then(function (a) {
          if (!r.ok) { throw a; }
          return proofs(mark, a.id, files);
        }, function () { throw null; });
      }).then(function () { said(mark, true, null); },
              function (answer) { said(mark, false, answer); });
    });
  }
})();
