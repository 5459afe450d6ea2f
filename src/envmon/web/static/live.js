// The live stream (GET /api/v1/events, server-sent events): envmonLive({kind: handler}).
// Each event is named by its kind (`event: point_state`) with a JSON object as its data
// (envmon.web.events: packet, point_state, alarm, command, reset).
// A stream the server refuses (503: too many streams, the server restarting) is closed for
// good by the browser; it is opened again here after a back-off that doubles from 2 s up to
// a minute (a wall of screens must not hammer a server that just said no), and is reset once
// a stream opens. After a reconnection the page gets a `reset`: it reloads its figures.
(function () {
  "use strict";
  var KINDS = ["packet", "point_state", "alarm", "command", "reset"];
  var FIRST_DELAY_MS = 2000, MAX_DELAY_MS = 60000;
  window.envmonLive = function (handlers, onStatus) {
    if (!window.EventSource) { return null; }
    // Only the kinds this page handles (a province's packets are many; reset always comes).
    var wanted = KINDS.filter(function (k) { return handlers[k] && k !== "reset"; });
    var url = "/api/v1/events" + (wanted.length ? "?kinds=" + wanted.join(",") : "");
    var delay = FIRST_DELAY_MS, reopened = false, live = {source: null, retries: 0};
    function dispatch(kind, data) {
      if (handlers[kind]) { handlers[kind](data || {}); }
    }
    function open() {
      var source = live.source = new EventSource(url);
      KINDS.forEach(function (kind) {
        source.addEventListener(kind, function (e) { dispatch(kind, JSON.parse(e.data || "{}")); });
      });
      source.onopen = function () {
        delay = FIRST_DELAY_MS;
        document.body.dataset.live = "open";
        if (onStatus) { onStatus(true); }
        if (reopened) { reopened = false; dispatch("reset", {reconnected: true}); }
      };
      source.onerror = function () {
        document.body.dataset.live = "lost";
        if (onStatus) { onStatus(false); }
        if (source.readyState === EventSource.CLOSED) {  // refused: the browser gives up
          reopened = true;
          live.retries += 1;
          document.body.dataset.liveRetry = String(delay);
          setTimeout(open, delay);
          delay = Math.min(delay * 2, MAX_DELAY_MS);
        }
      };
    }
    open();
    return live;
  };
})();
