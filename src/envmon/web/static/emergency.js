// 应急管控: the chosen unit's hourly emissions during the alert, baseline (dashed) against
// achieved, per listed pollutant (kg/h).
(function () {
  "use strict";
  var el = document.getElementById("emergency-chart");
  if (!window.echarts || !el) { return; }
  var data = JSON.parse(document.getElementById("emergency-data").textContent);
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var chart = echarts.init(el, null, {renderer: "svg"});
  var series = [];
  data.series.forEach(function (s) {
    series.push({name: s.name + " " + msg["emergency.baseline"], type: "line",
                 lineStyle: {type: "dashed"}, symbol: "none", data: s.baseline});
    series.push({name: s.name + " " + msg["emergency.achieved"], type: "line",
                 symbolSize: 4, connectNulls: false, data: s.achieved});
  });
  chart.setOption({
    animation: false,  // drawn at once: the page is read, not watched
    tooltip: {trigger: "axis"}, legend: {top: 0, right: 0, type: "scroll"},
    grid: {left: 55, right: 20, top: 35, bottom: 30},
    xAxis: {type: "category", data: data.hours},
    yAxis: {type: "value", name: "kg/h", scale: false},
    series: series
  });
  el.dataset.drawn = "true";
  el.dataset.hours = String(data.hours.length);
  window.addEventListener("resize", function () { chart.resize(); });
})();
