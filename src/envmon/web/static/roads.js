// 道路颗粒物: the month's segments on a blank canvas (district boundaries as vector layers,
// tiles only when [web] tile_url is set), coloured by class of value, grey for 数据不足/无数据,
// the listed ones outlined; a row of the lists zooms to its segment and opens its popup.
(function () {
  "use strict";
  var el = document.getElementById("roads-map");
  if (!window.L || !el) { return; }
  var data = JSON.parse(document.getElementById("roads-data").textContent);
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var GREY = "#b8bec6", OUTLINE = {dirty: "#67001f", clean: "#08519c"};
  var lines = {};  // segment_id -> the coloured polyline

  function colour(p) {
    if (p.status !== "排名" || p.value === null) { return GREY; }
    var k = 0;
    while (k < data.breaks.length && p.value >= data.breaks[k]) { k += 1; }
    return data.colours[k];
  }

  function popup(p) {
    var div = document.createElement("div");
    div.className = "segment-popup";
    var name = document.createElement("b");
    name.className = "segment-name";
    name.textContent = p.name;
    div.appendChild(name);
    var rank = p.dirty_rank ? msg["roads.dirty"] + " #" + p.dirty_rank
      : p.clean_rank ? msg["roads.clean"] + " #" + p.clean_rank : "";
    var value = p.value === null ? msg["roads.no_data"]
      : data.label + " " + p.value.toFixed(1) + " µg/m³" +
        (p.status === "排名" ? "" : " (" + msg["roads.insufficient"] + ")");
    [p.district + (rank ? " · " + rank : ""), value,
     msg["roads.passes"] + " " + p.n_passes + " · " + msg["roads.days"] + " " + p.n_days +
       " · " + msg["roads.taxis"] + " " + p.n_taxis].forEach(function (text) {
      div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(text));
    });
    div.appendChild(document.createElement("br"));
    var a = document.createElement("a");
    a.href = "/roads/segments/" + encodeURIComponent(p.segment_id) + "?month=" +
      encodeURIComponent(data.month);
    a.textContent = msg["roads.passes_link"];
    div.appendChild(a);
    return div;
  }

  var map = L.map(el, {zoomSnap: 0.25, attributionControl: false});
  if (data.tile_url) { L.tileLayer(data.tile_url, {maxZoom: 18}).addTo(map); }
  var features = data.layer.features;
  var bounds = L.latLngBounds([]);
  features.forEach(function (f) {
    f.geometry.coordinates.forEach(function (c) { bounds.extend([c[1], c[0]]); });
  });
  // The view first: Leaflet draws a layer only once its map has one.
  if (bounds.isValid()) { map.fitBounds(bounds, {padding: [20, 20]}); }
  else { map.setView([37.87, 112.55], 11); }

  fetch("/static/vendor/geo/" + data.province + ".geojson").then(function (r) {
    if (!r.ok) { throw new Error(r.status); }
    return r.json();
  }).then(function (geo) {
    L.geoJSON(geo, {interactive: false, style: function () {
      return {color: "#7a8699", weight: 1, fillColor: "#eef2f6", fillOpacity: 1};
    }}).addTo(map).bringToBack();
  }).catch(function () { el.dataset.boundaries = "0"; });

  var outlines = L.layerGroup().addTo(map), segments = L.layerGroup().addTo(map);
  var drawn = {dirty: 0, clean: 0, grey: 0};
  // Grey first, then the coloured, the listed last: the ones that matter are on top.
  function order(f) {
    var p = f.properties;
    return p.dirty_rank || p.clean_rank ? 2 : colour(p) === GREY ? 0 : 1;
  }
  features.slice().sort(function (a, b) { return order(a) - order(b); }).forEach(function (f) {
    var p = f.properties;
    var latlngs = f.geometry.coordinates.map(function (c) { return [c[1], c[0]]; });
    var side = p.dirty_rank ? "dirty" : p.clean_rank ? "clean" : null;
    if (side) {
      L.polyline(latlngs, {color: OUTLINE[side], weight: 9, opacity: 0.85,
                           interactive: false}).addTo(outlines);
    }
    var line = L.polyline(latlngs, {color: colour(p), weight: side ? 5 : 3, opacity: 0.95});
    line.bindPopup(function () { return popup(p); });
    line.on("popupopen", function () { el.dataset.openSegment = p.segment_id; });
    line.addTo(segments);
    var path = line.getElement();
    path.classList.add("road-segment", side ? "listed-" + side : "unlisted");
    path.dataset.segment = p.segment_id;
    if (side) { drawn[side] += 1; } else if (colour(p) === GREY) { drawn.grey += 1; }
    lines[p.segment_id] = line;
  });
  el.dataset.segments = String(features.length);
  el.dataset.dirty = String(drawn.dirty);
  el.dataset.clean = String(drawn.clean);
  el.dataset.grey = String(drawn.grey);

  document.querySelectorAll(".roads-list tbody tr[data-segment]").forEach(function (row) {
    row.classList.add("clickable");
    row.addEventListener("click", function (event) {
      if (event.target.closest("a")) { return; }  // the passes link keeps its job
      var line = lines[row.dataset.segment];
      if (!line) { return; }
      document.querySelectorAll(".roads-list tr.selected").forEach(function (r) {
        r.classList.remove("selected");
      });
      row.classList.add("selected");
      map.fitBounds(line.getBounds(), {maxZoom: 16, padding: [40, 40]});
      line.openPopup();
      el.scrollIntoView({block: "nearest"});
    });
  });
  document.body.dataset.ready = "roads";
})();
