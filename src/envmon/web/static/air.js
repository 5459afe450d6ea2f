// 空气质量: the month's AQI as a calendar (colours of the six AQI levels, HJ 633-2012).
(function () {
  "use strict";
  var el = document.getElementById("aqi-calendar");
  if (!window.echarts || !el) { return; }
  var data = JSON.parse(document.getElementById("air-data").textContent);
  var chart = echarts.init(el, null, {renderer: "svg"});
  chart.setOption({
    tooltip: {formatter: function (p) { return p.value[0] + " AQI " + p.value[1]; }},
    visualMap: {type: "piecewise", orient: "horizontal", left: "center", bottom: 0, pieces: [
      {max: 50, color: "#00e400"}, {min: 51, max: 100, color: "#ffff00"},
      {min: 101, max: 150, color: "#ff7e00"}, {min: 151, max: 200, color: "#ff0000"},
      {min: 201, max: 300, color: "#99004c"}, {min: 301, color: "#7e0023"}]},
    calendar: {range: data.month, cellSize: ["auto", 26], top: 30, left: 30, right: 30,
               orient: "horizontal", yearLabel: {show: false}},
    series: [{type: "heatmap", coordinateSystem: "calendar",
              data: data.daily.filter(function (d) { return d.aqi !== null; })
                .map(function (d) { return [d.date, d.aqi]; })}]
  });
  el.dataset.drawn = "true";
})();
