// 点位: one ECharts line chart per factor, measured and 折算 values against the limit.
// Times read in Beijing time whatever the browser's zone: each time is shifted by +8 h and the
// chart formats in UTC (useUTC), so an office PC set to UTC shows the same hours as the data.
(function () {
  "use strict";
  var BEIJING_OFFSET_MS = 8 * 3600 * 1000;
  function beijing(iso) { return Date.parse(iso) + BEIJING_OFFSET_MS; }
  if (!window.echarts) { return; }
  var payload = JSON.parse(document.getElementById("series-data").textContent);
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var s = payload.series;
  var drawn = 0;
  document.querySelectorAll("#charts .chart").forEach(function (el) {
    var factor = el.dataset.factor;
    var rows = s.series[factor] || [];
    var limit = s.limits[factor];
    var hasZs = payload.converted && rows.some(function (r) { return r.zs !== null; });
    var lines = [{name: msg["point.measured"], type: "line", showSymbol: false,
                  data: rows.map(function (r) { return [beijing(r.t), r.value]; })}];
    if (hasZs) {
      lines.push({name: msg["point.converted"], type: "line", showSymbol: false,
                  data: rows.map(function (r) { return [beijing(r.t), r.zs]; })});
    }
    if (limit !== null && limit !== undefined) {
      lines[lines.length - 1].markLine = {symbol: "none", lineStyle: {color: "#d93025"},
        // inside the plot, above the line's end: never cut at the chart's right edge
        label: {formatter: msg["point.limit"] + " " + limit, position: "insideEndTop"},
        data: [{yAxis: limit}]};
    }
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption({
      useUTC: true,
      animation: false,  // a monitoring view: drawn at once (and the same in every tab)
      title: {text: (payload.names[factor] || factor) + " (" + factor + ")", left: 0,
              textStyle: {fontSize: 13}},
      tooltip: {trigger: "axis"}, legend: {right: 0},
      grid: {left: 50, right: 20, top: 35, bottom: 30},
      xAxis: {type: "time"},
      // The limit stays in sight even when every value is far below it.
      yAxis: {type: "value", scale: true, max: function (v) {
        return limit === null || limit === undefined ? null : Math.max(v.max, limit * 1.1);
      }},
      series: lines
    });
    el.dataset.drawn = "true";
    drawn += 1;
    window.addEventListener("resize", function () { chart.resize(); });
  });
  document.body.dataset.charts = String(drawn);
})();
