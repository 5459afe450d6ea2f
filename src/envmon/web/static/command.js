// 点位 · 远程控制（反控）: send a command (POST /api/v1/command), follow its state through the
// live stream's `command` events (and GET /api/v1/command/{id} until it is final, should the
// stream be down), and keep the point's history table current.
(function () {
  "use strict";
  var form = document.getElementById("command-form");
  if (!form) { return; }
  var mn = form.dataset.mn;
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var actions = JSON.parse(document.getElementById("command-actions").textContent);
  var select = document.getElementById("command-action");
  var status = document.getElementById("command-status");
  var body = document.querySelector("#commands tbody");
  var FINAL = {done: 1, failed: 1, timed_out: 1, refused: 1};
  var POLL_MS = 1000;

  function paramsOf(name) {
    var found = actions.filter(function (a) { return a.name === name; })[0];
    return found ? found.params : [];
  }
  function showParams() {
    var wanted = paramsOf(select.value);
    form.querySelectorAll(".command-param").forEach(function (label) {
      label.hidden = wanted.indexOf(label.dataset.param) < 0;
    });
  }
  function stateText(state) { return msg["point.cmd.state." + state] || state; }
  function cell(text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text === null || text === undefined ? "" : String(text);
    return td;
  }
  function show(row) {
    if (row.mn !== mn) { return; }
    var tr = body.querySelector('tr[data-id="' + row.id + '"]');
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.id = row.id;
      [cell(row.id), cell((row.requested_at || "").replace("T", " ").slice(0, 16)),
       cell(row.action), cell(row.cn), cell("", "command-state"), cell("", "command-reason"),
       cell("", "command-answer"), cell(row.requested_by)].forEach(function (td) {
        tr.appendChild(td);
      });
      body.insertBefore(tr, body.firstChild);
    }
    tr.dataset.state = row.state;
    tr.querySelector(".command-state").textContent = stateText(row.state);
    tr.querySelector(".command-reason").textContent = row.reason || "";
    tr.querySelector(".command-answer").textContent = row.answer ? JSON.stringify(row.answer) : "";
    if (String(row.id) === status.dataset.id) {
      status.textContent = "#" + row.id + " " + stateText(row.state) +
        (row.reason ? " · " + row.reason : "") +
        (row.answer ? " · " + JSON.stringify(row.answer) : "");
      status.dataset.state = row.state;
    }
  }
  function poll(id) {
    fetch("/api/v1/command/" + id, {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (row) {
        if (row) { show(row); }
        if (!row || !FINAL[row.state]) { setTimeout(function () { poll(id); }, POLL_MS); }
      })
      .catch(function () { setTimeout(function () { poll(id); }, POLL_MS); });
  }
  select.addEventListener("change", showParams);
  showParams();
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var parameters = {};
    paramsOf(select.value).forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { parameters[name] = value; }
    });
    var cn = parameters.cn;
    delete parameters.cn;
    var payload = {mn: mn, action: select.value, parameters: parameters,
                   by: form.elements.by.value.trim() || null};
    if (cn) { payload.cn = cn; }
    status.textContent = msg["point.cmd.sending"];
    status.dataset.state = "";
    fetch("/api/v1/command", {method: "POST", headers: {"Content-Type": "application/json"},
                              body: JSON.stringify(payload)})
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (answer) {
        var ok = answer[0], row = answer[1];
        if (!ok) {
          var error = row.error || {};
          status.textContent = (error.field ? error.field + ": " : "") + (error.reason || "");
          status.dataset.state = "error";
          return;
        }
        status.dataset.id = String(row.id);
        show(row);
        if (!FINAL[row.state]) { poll(row.id); }
      });
  });
  if (window.envmonLive) { window.envmonLive({command: show}); }
})();
