// 总览: draws the points on a blank canvas (district boundaries as vector layers, tiles only
// when [web] tile_url is set) and keeps the markers, counts and open alarms live.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("overview-data").textContent);
  var msg = JSON.parse(document.getElementById("messages").textContent);
  // statuses and rules in the page's language (web/i18n.py VALUES), as the server renders them
  var values = JSON.parse(document.getElementById("values").textContent);
  function named(group, code) { return (values[group] || {})[code] || code; }
  var COLOURS = {online: "#2e9e44", offline: "#8a8f98", alarm: "#d93025", stopped: "#e6a700"};
  var STATES = ["online", "offline", "alarm", "stopped"];
  var RATES_EVERY_MS = 60000;  // the rates change by the hour; a minute keeps the wall current
  var states = {};      // mn -> state
  var markers = {};     // mn -> Leaflet circle marker
  var map = null, pointLayer = null;
  var dayStart = data.as_of.slice(0, 10);

  function markerStyle(state) {
    return {radius: 6, weight: 1, color: "#ffffff", fillColor: COLOURS[state] || "#444",
            fillOpacity: 0.9};
  }

  function tagMarker(mn, state) {
    var el = markers[mn] && markers[mn].getElement();
    if (!el) { return; }
    el.dataset.mn = mn;
    el.dataset.state = state;
    STATES.forEach(function (s) { el.classList.toggle("state-" + s, s === state); });
    el.classList.add("point-marker");
  }

  function setupMap() {
    if (!window.L) { return; }
    map = L.map("map", {zoomSnap: 0.25, attributionControl: false});
    if (data.tile_url) { L.tileLayer(data.tile_url, {maxZoom: 18}).addTo(map); }
    fetch("/static/vendor/geo/" + data.province + ".geojson").then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (geo) {
      var layer = L.geoJSON(geo, {interactive: false, style: function () {
        return {color: "#7a8699", weight: 1, fillColor: "#eef2f6", fillOpacity: 1};
      }}).addTo(map);
      layer.bringToBack();
      document.getElementById("map").dataset.boundaries = String(geo.features.length);
    }).catch(function () {
      document.getElementById("map").dataset.boundaries = "0";
      var p = document.createElement("p");
      p.textContent = msg["overview.no_boundaries"];
      document.getElementById("banner").appendChild(p);
    });
  }

  function drawPoints(points) {
    states = {};
    points.forEach(function (p) { states[p.mn] = p.state; });
    if (!map) { return; }
    if (pointLayer) { pointLayer.remove(); }
    // The view first: Leaflet draws a layer only once its map has one.
    var bounds = points.map(function (p) { return [p.latitude, p.longitude]; });
    if (bounds.length) { map.fitBounds(bounds, {padding: [20, 20]}); }
    else { map.setView([37.6, 112.3], 7); }
    pointLayer = L.layerGroup().addTo(map);
    markers = {};
    points.forEach(function (p) {
      var m = L.circleMarker([p.latitude, p.longitude], markerStyle(p.state));
      m.bindPopup(function () {
        var div = document.createElement("div");
        var a = document.createElement("a");
        a.href = "/points/" + encodeURIComponent(p.mn);
        a.textContent = p.unit_name + " " + p.outlet_name;
        div.appendChild(a);
        div.appendChild(document.createElement("br"));
        div.appendChild(document.createTextNode(p.mn + " · " + (msg["state." + states[p.mn]] || "")));
        return div;
      });
      m.addTo(pointLayer);
      markers[p.mn] = m;
      tagMarker(p.mn, p.state);
    });
    document.getElementById("map").dataset.points = String(points.length);
    // Milliseconds from the start of the navigation to every marker drawn (the render budget).
    if (!window.envmonDrawnMs) { window.envmonDrawnMs = performance.now(); }
  }

  function recount() {
    var counts = {online: 0, offline: 0, alarm: 0, stopped: 0}, total = 0;
    Object.keys(states).forEach(function (mn) { counts[states[mn]] += 1; total += 1; });
    STATES.forEach(function (s) {
      document.getElementById("state-count-" + s).textContent = String(counts[s]);
    });
    document.getElementById("count-online").textContent = String(total - counts.offline);
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  function upsertAlarm(a) {
    var body = document.querySelector("#open-alarms tbody");
    var old = body.querySelector('tr[data-alarm-id="' + a.id + '"]');
    if (a.status === "closed") { if (old) { old.remove(); } }
    else {
      var row = document.createElement("tr");
      row.dataset.alarmId = String(a.id);
      row.className = "status-" + a.status + (old ? "" : " new");
      cell(row, a.id);
      var link = document.createElement("a");
      link.href = "/points/" + encodeURIComponent(a.mn);
      link.textContent = a.mn;
      cell(row, "").appendChild(link);
      cell(row, a.unit_name || a.unit_id);
      cell(row, a.factor || "-");
      cell(row, named("rule", a.rule));
      cell(row, named("status", a.status));
      cell(row, (a.opened_at || "").slice(0, 19).replace("T", " "));
      cell(row, a.value);
      cell(row, a.limit);
      cell(row, a.detail);
      if (old) { body.replaceChild(row, old); } else { body.insertBefore(row, body.firstChild); }
      if (!old && (a.opened_at || "").slice(0, 10) === dayStart) {
        var today = document.getElementById("count-alarms-today");
        today.textContent = String(Number(today.textContent) + 1);
      }
    }
    document.getElementById("open-alarm-count").textContent = String(body.rows.length);
  }

  function pct(value, sign) {
    return value === null || value === undefined ? "—" : value.toFixed(2) + (sign ? "%" : "");
  }

  // The rates and counts the live events do not carry (today's 即时/补全 rates, 联网): from
  // the server's figures, at load and every RATES_EVERY_MS.
  function drawRates(fresh) {
    document.getElementById("count-networked").textContent = String(fresh.counts.networked);
    document.getElementById("count-instant-rate").textContent = pct(fresh.counts.instant_rate, true);
    var complete = document.getElementById("count-complete-rate");
    if (complete && fresh.counts.complete_rate !== null) {
      complete.textContent = msg["count.complete_rate"] + " " + pct(fresh.counts.complete_rate, true);
    }
    var body = document.querySelector("#city-rates tbody");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    fresh.cities.forEach(function (c) {
      var row = document.createElement("tr");
      cell(row, c.rank);
      var link = document.createElement("a");
      link.href = "/assess?level=county&parent=" + encodeURIComponent(c.code);
      link.textContent = c.name;
      cell(row, "").appendChild(link);
      cell(row, c.points);
      cell(row, pct(c.instant.effective_rate, false));
      cell(row, pct(c.complete.effective_rate, false));
      body.appendChild(row);
    });
  }

  // GET /api/v1/overview in the names the page shows (pages/overview.py: page_figures).
  function pageFigures(api) {
    var counts = api.counts, instant = api.instant || {};
    return {as_of: api.at, points: api.points, states: counts.states, cities: api.cities,
            counts: {points: counts.registered, must_network: counts.registered,
                     networked: counts.networked, online: counts.online,
                     alarms_today: counts.alarms_today, alarms_open: counts.alarms_open,
                     instant_rate: instant.effective_rate === undefined ? null : instant.effective_rate,
                     complete_rate: (instant.complete || {}).effective_rate === undefined
                       ? null : instant.complete.effective_rate}};
  }

  // The rates: the API's overview, computed once for every screen (its shared result).
  function refreshRates() {
    fetch("/api/v1/overview").then(function (r) { return r.json(); }).then(function (api) {
      drawRates(pageFigures(api));
    });
  }

  // After a lost stream: the points and counts as of now, and the newest open alarms
  // (/overview/data: the same shared overview with the alarm list).
  function reload() {
    fetch("/overview/data").then(function (r) { return r.json(); }).then(function (fresh) {
      data = fresh;
      drawPoints(fresh.points);
      recount();
      var body = document.querySelector("#open-alarms tbody");
      while (body.firstChild) { body.removeChild(body.firstChild); }
      fresh.open_alarms.slice().reverse().forEach(upsertAlarm);
      document.getElementById("count-alarms-today").textContent = String(fresh.counts.alarms_today);
      drawRates(fresh);
      document.body.dataset.synced = "true";  // the figures are the server's as of now
    });
  }

  setupMap();
  drawPoints(data.points);
  window.envmonLive({
    point_state: function (e) {
      if (!(e.mn in states)) { return; }
      states[e.mn] = e.state;
      if (markers[e.mn]) { markers[e.mn].setStyle(markerStyle(e.state)); tagMarker(e.mn, e.state); }
      recount();
    },
    alarm: upsertAlarm,
    reset: reload
  }, function (open) {
    // What changed between this page's render and its stream's start (or while the stream
    // was lost) came before the first event: read the figures again once connected.
    if (open) { reload(); }
  });
  setInterval(refreshRates, RATES_EVERY_MS);
  document.body.dataset.ready = "overview";
})();
