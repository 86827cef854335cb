/* 通报: draws each chart block of a bulletin with ECharts, from the frozen content the page
 * passes in the "bulletin-charts" JSON element (the CSP forbids inline scripts). A chart is
 * drawn once: the page shows a published bulletin, nothing on it changes. */
(function () {
  "use strict";
  var source = document.getElementById("bulletin-charts");
  if (!source || typeof echarts === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var PALETTE = ["#1f6feb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899"];
  var drawn = [];

  function option(c) {
    var unit = c.unit || "";
    var series = c.series.map(function (s) { return { name: s.name, data: s.data }; });
    if (c.kind === "pie") {
      return {
        color: PALETTE,
        animation: false,
        tooltip: { trigger: "item", formatter: "{b}: {c}" + unit + " ({d}%)" },
        legend: { bottom: 0 },
        series: [{
          type: "pie", radius: ["30%", "60%"], center: ["50%", "45%"],
          label: { formatter: "{b}\n{c}" + unit },
          data: c.categories.map(function (name, i) { return { name: name, value: c.series[0].data[i] }; })
        }]
      };
    }
    var horizontal = c.kind === "hbar";
    var category = { type: "category", data: c.categories, inverse: horizontal,
                     axisLabel: { width: horizontal ? 160 : 90, overflow: "truncate", interval: 0 } };
    var value = { type: "value", name: unit, minInterval: unit === "件" ? 1 : 0 };
    return {
      color: PALETTE,
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 12, right: 36, top: 32, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series.map(function (s) {
        return {
          name: s.name,
          type: c.kind === "line" ? "line" : "bar",
          data: s.data,
          connectNulls: false,
          barMaxWidth: 22,
          label: { show: c.kind !== "line" && c.categories.length <= 20, position: horizontal ? "right" : "top" }
        };
      })
    };
  }

  charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    if (!el) { return; }
    if (c.kind === "hbar") {
      el.style.height = Math.max(220, 48 + c.categories.length * 28 * Math.max(1, c.series.length * 0.8)) + "px";
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option(c));
    drawn.push(chart);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  window.yiwangBulletin = { charts: drawn };
})();
