/* 指挥大屏: polls the dashboard data and updates the page in place.
 *
 * The page must run for days, so nothing is re-created on a refresh: each ECharts chart is
 * initialised once and only receives new data (setOption merges it), the grid outlines are
 * loaded once and restyled, and case markers are kept by case number (moved / recoloured,
 * added or removed as cases come and go). `window.yiwangDashboard` exposes the refresh for
 * the browser tests (and a console). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var labels = config.labels;
  var colors = config.lightColors;
  var AXIS = { color: "#8fb3d9", fontSize: 13 };
  var SPLIT = { lineStyle: { color: "rgba(143, 179, 217, .15)" } };
  var PALETTE = ["#40a9ff", "#36cfc9", "#73d13d", "#ffc53d", "#ff7a45", "#9254de", "#f759ab"];

  function chart(id, option) {
    var c = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    c.setOption(option);
    return c;
  }

  function barOption(color) {
    return {
      animationDurationUpdate: 0,
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", axisLabel: AXIS, splitLine: SPLIT, minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: [], axisLabel: { color: "#d7e3f4", fontSize: 13, width: 150, overflow: "truncate" } },
      series: [{ type: "bar", data: [], barMaxWidth: 18, itemStyle: { color: color, borderRadius: [0, 3, 3, 0] },
                 label: { show: true, position: "right", color: "#e6f4ff" } }]
    };
  }

  var charts = {
    sources: chart("chart-sources", {
      color: PALETTE,
      animationDurationUpdate: 0,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, left: "center", textStyle: { color: "#d7e3f4", fontSize: 13 } },
      series: [{ type: "pie", radius: ["36%", "62%"], center: ["50%", "45%"], data: [],
                 label: { color: "#d7e3f4", formatter: "{c}" }, itemStyle: { borderColor: "#06101f", borderWidth: 2 } }]
    }),
    types: chart("chart-types", barOption("#40a9ff")),
    departments: chart("chart-departments", barOption("#36cfc9")),
    overdue: chart("chart-overdue", barOption("#ef4444")),
    grids: chart("chart-grids", {
      animationDurationUpdate: 0,
      legend: { top: 0, right: 0, textStyle: { color: "#d7e3f4" } },
      grid: { left: 8, right: 16, top: 26, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", axisLabel: AXIS, splitLine: SPLIT, minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: [], axisLabel: { color: "#d7e3f4", fontSize: 12, width: 150, overflow: "truncate" } },
      series: [
        { name: labels.open, type: "bar", data: [], barMaxWidth: 14, itemStyle: { color: "#40a9ff" } },
        { name: labels.overdue, type: "bar", data: [], barMaxWidth: 14, itemStyle: { color: "#ef4444" } }
      ]
    })
  };

  // ---- the map: grid outlines (heat by open cases) and live cases ------------------------
  var map = L.map("dash-map", { zoomControl: false, attributionControl: false, minZoom: 3, maxZoom: 19, zoomSnap: 0.25, preferCanvas: true });
  var bounds = config.bounds || [[22.5, 113.9], [22.7, 114.2]];
  map.fitBounds(bounds, { padding: [10, 10] });
  var renderer = L.canvas({ padding: 0.2 });
  var gridLayer = L.geoJSON(null, { renderer: renderer, style: gridStyle }).addTo(map);
  var caseLayer = L.layerGroup().addTo(map);
  var markers = new Map();
  var gridCounts = {};
  var gridMax = 1;

  function gridStyle(feature) {
    var n = gridCounts[feature.properties.code] || 0;
    var t = Math.min(n / gridMax, 1);
    var fill = n === 0 ? "#40a9ff" : t < 0.5 ? "#f97316" : "#dc2626";
    return { color: "#3b82c4", weight: 1, opacity: 0.8, fillColor: fill, fillOpacity: n === 0 ? 0.06 : 0.15 + 0.45 * t };
  }

  function loadGrids() {
    var url = config.gridsUrl;
    if (config.bounds) {
      var b = config.bounds;
      url += "?bbox=" + [b[0][1], b[0][0], b[1][1], b[1][0]].join(",");
    }
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        gridLayer.addData(data);
        gridLayer.setStyle(gridStyle);
      })
      .catch(function () { /* the cases are still drawn without the outlines */ });
  }

  function tooltip(c) {
    var div = document.createElement("div");
    [c.number + " " + c.type, c.title, c.state + " · " + (labels[c.light] || "") + " " + c.due].forEach(function (line) {
      var p = document.createElement("div");
      p.textContent = line;
      div.appendChild(p);
    });
    return div;
  }

  function updateCases(cases) {
    var seen = new Set();
    cases.forEach(function (c) {
      seen.add(c.number);
      var color = colors[c.light] || "#94a3b8";
      var key = [c.lat, c.lon, c.light, c.state, c.due, c.title, c.type].join("|");
      var marker = markers.get(c.number);
      if (marker) {
        if (marker.dashKey === key) return;  // unchanged: touch nothing
        marker.setLatLng([c.lat, c.lon]);
        marker.setStyle({ color: color, fillColor: color });
        marker.setTooltipContent(tooltip(c));
        marker.dashKey = key;
      } else {
        marker = L.circleMarker([c.lat, c.lon], { renderer: renderer, radius: 6, weight: 1, color: color, fillColor: color, fillOpacity: 0.85 });
        marker.bindTooltip(tooltip(c));
        marker.dashKey = key;
        markers.set(c.number, marker);
        caseLayer.addLayer(marker);
      }
    });
    markers.forEach(function (marker, number) {
      if (!seen.has(number)) {
        marker.unbindTooltip();
        caseLayer.removeLayer(marker);
        markers.delete(number);
      }
    });
  }

  function bars(target, rows, name, value) {
    target.setOption({
      yAxis: { data: rows.map(function (r) { return r[name]; }) },
      series: [{ data: rows.map(function (r) { return r[value]; }) }]
    });
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function update(data) {
    var k = data.kpi;
    document.querySelectorAll("[data-kpi]").forEach(function (el) {
      var v = k[el.dataset.kpi];
      setText(el, v === null || v === undefined ? "—" : el.dataset.kpi === "on_time_rate" ? v.toFixed(1) + "%" : String(v));
    });
    setText(document.getElementById("dash-day"), data.day);
    // The open-case counts may be a snapshot a few seconds older than the rest (shared by
    // every screen of the scope); say so when they are.
    var updated = labels.updated + " " + data.generated_at.slice(11, 19);
    if (data.counts_at !== data.generated_at) {
      updated += " · " + labels.countsAt + " " + data.counts_at.slice(11, 19);
    }
    setText(document.getElementById("dash-updated"), updated);
    setText(document.getElementById("dash-status"), "");
    // Sources with no report today are left out of the ring (a zero slice only adds a stray label).
    charts.sources.setOption({ series: [{ data: data.sources.filter(function (s) { return s.count > 0; })
      .map(function (s) { return { name: s.label, value: s.count }; }) }] });
    bars(charts.types, data.types, "name", "count");
    bars(charts.departments, data.departments, "name", "open");
    bars(charts.overdue, data.overdue_departments, "name", "overdue");
    charts.grids.setOption({
      yAxis: { data: data.worst_grids.map(function (g) { return g.name || g.code; }) },
      series: [{ data: data.worst_grids.map(function (g) { return g.open; }) },
               { data: data.worst_grids.map(function (g) { return g.overdue; }) }]
    });
    gridCounts = {};
    gridMax = 1;
    data.grids.forEach(function (g) {
      gridCounts[g.code] = g.open;
      if (g.open > gridMax) gridMax = g.open;
    });
    gridLayer.setStyle(gridStyle);
    updateCases(data.cases);
    var l = data.lights;
    setText(document.getElementById("dash-lights"),
      labels.green + " " + l.green + "  " + labels.amber + " " + l.amber + "  " + labels.red + " " + l.red);
    setText(document.getElementById("dash-truncated"), data.cases_truncated ? labels.truncated : "");
  }

  var inFlight = null;
  function refresh() {
    if (inFlight) return inFlight;  // a slow answer is never overtaken by the next tick
    inFlight = fetch(config.dataUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(update)
      .catch(function () { setText(document.getElementById("dash-status"), labels.loadFailed); })
      .then(function () { inFlight = null; });
    return inFlight;
  }

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (key) { charts[key].resize(); });
    map.invalidateSize();
  });

  var timer = null;
  function start() {
    if (timer === null) timer = window.setInterval(refresh, config.refreshSeconds * 1000);
  }
  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  window.yiwangDashboard = {
    refresh: refresh,
    start: start,
    stop: stop,
    charts: charts,
    // What the tests watch: chart instances and the map's layers must stay the same.
    chartIds: function () { return Object.keys(charts).map(function (key) { return charts[key].id; }); },
    layerCount: function () { var n = 0; map.eachLayer(function () { n += 1; }); return n; },
    markerCount: function () { return markers.size; },
    gridCount: function () { return gridLayer.getLayers().length; }
  };

  loadGrids().then(refresh).then(start);
})();
