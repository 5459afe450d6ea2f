// The live stream (GET /api/v1/events, server-sent events): envmonLive({kind: handler}).
// Each event is named by its kind (`event: point_state`) with a JSON object as its data
// (envmon.web.events: packet, point_state, alarm, reset).
(function () {
  "use strict";
  var KINDS = ["packet", "point_state", "alarm", "reset"];
  window.envmonLive = function (handlers, onStatus) {
    if (!window.EventSource) { return null; }
    // Only the kinds this page handles (a province's packets are many; reset always comes).
    var wanted = KINDS.filter(function (k) { return handlers[k] && k !== "reset"; });
    var source = new EventSource("/api/v1/events" +
                                 (wanted.length ? "?kinds=" + wanted.join(",") : ""));
    function dispatch(kind, data) {
      if (handlers[kind]) { handlers[kind](data || {}); }
    }
    KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (e) { dispatch(kind, JSON.parse(e.data || "{}")); });
    });
    source.onopen = function () { document.body.dataset.live = "open"; if (onStatus) { onStatus(true); } };
    source.onerror = function () { document.body.dataset.live = "lost"; if (onStatus) { onStatus(false); } };
    return source;
  };
})();
