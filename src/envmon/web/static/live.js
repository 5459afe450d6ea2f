// The live stream (GET /api/v1/events, server-sent events): envmonLive({kind: handler}).
// Each event's data is a JSON object; the kind comes as the SSE event name (or, when a server
// sends unnamed events, as data.kind with the object in data.data).
(function () {
  "use strict";
  var KINDS = ["packet", "point_state", "alarm", "reset"];
  window.envmonLive = function (handlers, onStatus) {
    if (!window.EventSource) { return null; }
    var source = new EventSource("/api/v1/events");
    function dispatch(kind, data) {
      if (handlers[kind]) { handlers[kind](data || {}); }
    }
    KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (e) { dispatch(kind, JSON.parse(e.data || "{}")); });
    });
    source.onmessage = function (e) {
      var body = JSON.parse(e.data || "{}");
      if (body.kind) { dispatch(body.kind, body.data); }
    };
    source.onopen = function () { document.body.dataset.live = "open"; if (onStatus) { onStatus(true); } };
    source.onerror = function () { document.body.dataset.live = "lost"; if (onStatus) { onStatus(false); } };
    return source;
  };
})();
