// A road segment's passes: the median of the counted passes' PM2.5 and PM10 by day.
(function () {
  "use strict";
  var el = document.getElementById("passes-chart");
  if (!window.echarts || !el) { return; }
  var daily = JSON.parse(document.getElementById("passes-data").textContent).daily;
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var chart = echarts.init(el, null, {renderer: "svg"});
  function series(key, name) {
    return {name: name, type: "line", connectNulls: false, symbolSize: 7,
            data: daily.map(function (d) { return d[key]; })};
  }
  chart.setOption({
    animation: false,  // drawn at once: the page is read, not watched
    tooltip: {trigger: "axis"}, legend: {top: 0, right: 0},
    grid: {left: 50, right: 20, top: 35, bottom: 30},
    xAxis: {type: "category", data: daily.map(function (d) { return d.date; })},
    yAxis: {type: "value", name: "µg/m³", scale: true},
    series: [series("pm25", "PM2.5"), series("pm10", "PM10")]
  });
  el.dataset.drawn = "true";
  el.dataset.days = String(daily.length);
  el.title = msg["roads.by_day"];
  window.addEventListener("resize", function () { chart.resize(); });
})();
