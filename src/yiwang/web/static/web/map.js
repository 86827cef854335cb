// The map page: unit grids and components of the viewport, click-to-locate.
// Works without base tiles: grids are drawn on a plain background with a scale bar.
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var T = cfg.labels;
  var resultEl = document.getElementById("locate-result");
  var componentEl = document.getElementById("component-info");
  var statusEl = document.getElementById("map-status");

  // Labels clutter the map when many grids are shown at once.
  var LABEL_MIN_ZOOM = 15;
  var LABEL_MAX_COUNT = 300;
  var COMPONENT_MIN_ZOOM = 14;
  var GRID_STYLE = { color: "#1565c0", weight: 1.5, fillColor: "#1565c0", fillOpacity: 0.06 };
  var LOCATED_STYLE = { color: "#e65100", weight: 3, fillColor: "#e65100", fillOpacity: 0.2 };

  var stateColor = {};
  cfg.states.forEach(function (s) { stateColor[s.value] = s.color; });

  var map = L.map("map", { minZoom: 3, maxZoom: 20, zoomSnap: 0.5 });
  // Exposed for tests and for later pages that add layers.
  window.yiwangMap = map;

  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { maxZoom: 20 }).addTo(map);
  }
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  // Components are drawn above the grid labels so a label never hides a marker.
  map.createPane("components").style.zIndex = "660";

  var gridLayer = L.featureGroup().addTo(map);
  var componentLayer = L.featureGroup().addTo(map);
  var clickMarker = null;
  var locatedCode = null;
  var gridsByCode = {};
  var status = { grids: "", components: "" };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function definitionList(rows) {
    var dl = el("dl", { class: "attrs" });
    rows.forEach(function (row) {
      dl.appendChild(el("dt", {}, row[0]));
      var dd = el("dd", row[2] ? { class: row[2] } : {}, row[1] || "—");
      dl.appendChild(dd);
    });
    return dl;
  }

  function showStatus() {
    statusEl.textContent = [status.grids, status.components].filter(Boolean).join(" ");
  }

  function bboxParam() {
    var b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (n) { return n.toFixed(6); }).join(",");
  }

  // Fetch JSON, dropping answers that arrive after a newer request of the same kind.
  var pending = {};
  function getJSON(kind, url) {
    if (pending[kind]) pending[kind].abort();
    var controller = new AbortController();
    pending[kind] = controller;
    return fetch(url, { credentials: "same-origin", signal: controller.signal,
                        headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      });
  }

  function styleGrid(layer) {
    layer.setStyle(layer.feature.properties.code === locatedCode ? LOCATED_STYLE : GRID_STYLE);
  }

  function drawGrids(collection) {
    gridLayer.clearLayers();
    gridsByCode = {};
    var features = collection.features || [];
    var labelled = map.getZoom() >= LABEL_MIN_ZOOM || features.length <= 30;
    L.geoJSON(collection, {
      style: function () { return GRID_STYLE; },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        gridsByCode[p.code] = layer;
        styleGrid(layer);
        if (labelled && features.length <= LABEL_MAX_COUNT) {
          layer.bindTooltip(p.code, {
            permanent: true, direction: "center", className: "grid-label", interactive: false,
          });
        } else {
          // Grid names come from imported files: give Leaflet text, never HTML.
          var tip = document.createElement("span");
          tip.textContent = p.code + (p.name ? " " + p.name : "");
          layer.bindTooltip(tip, { sticky: true });
        }
      },
    }).eachLayer(function (layer) { gridLayer.addLayer(layer); });
    status.grids = collection.truncated ? T.gridsTruncated : "";
  }

  function loadGrids() {
    getJSON("grids", cfg.gridsUrl + "?bbox=" + bboxParam())
      .then(function (r) {
        if (!r.ok) { status.grids = T.loadFailed; showStatus(); return; }
        drawGrids(r.body);
        showStatus();
      })
      .catch(function (err) { if (err.name !== "AbortError") { status.grids = T.loadFailed; showStatus(); } });
  }

  function componentPopup(p) {
    var box = el("div", { class: "component-popup" });
    box.appendChild(definitionList([
      [T.ident, p.ident, "code"],
      [T.name, p.name],
      [T.type, p.type_name ? p.type_code + " " + p.type_name : p.type_code],
      [T.state, p.state_label || p.state],
      [T.gridCode, p.grid_code, "code"],
    ]));
    var link = el("a", { href: cfg.componentUrl + encodeURIComponent(p.ident) + "/" }, T.detail);
    box.appendChild(link);
    return box;
  }

  function drawComponents(collection) {
    componentLayer.clearLayers();
    (collection.features || []).forEach(function (feature) {
      var p = feature.properties;
      var c = feature.geometry.coordinates;
      var marker = L.circleMarker([c[1], c[0]], {
        radius: 6, weight: 1.5, color: "#fff", fillColor: stateColor[p.state] || "#616e7c",
        fillOpacity: 0.95, bubblingMouseEvents: false, pane: "components",
      });
      marker.bindPopup(function () { return componentPopup(p); });
      marker.on("click", function () {
        componentEl.replaceChildren(el("h2", {}, T.components), componentPopup(p));
      });
      componentLayer.addLayer(marker);
    });
    status.components = collection.truncated ? T.componentsTruncated : "";
  }

  function loadComponents() {
    if (map.getZoom() < COMPONENT_MIN_ZOOM) {
      componentLayer.clearLayers();
      status.components = T.componentsZoomIn;
      showStatus();
      return;
    }
    getJSON("components", cfg.componentsUrl + "?bbox=" + bboxParam())
      .then(function (r) {
        if (!r.ok) { status.components = T.loadFailed; showStatus(); return; }
        drawComponents(r.body);
        showStatus();
      })
      .catch(function (err) {
        if (err.name !== "AbortError") { status.components = T.loadFailed; showStatus(); }
      });
  }

  function setLocated(code) {
    locatedCode = code;
    gridLayer.eachLayer(styleGrid);
  }

  function showLocated(latlng, body) {
    var rows = [
      [T.gridCode, body.grid.code, "code grid-code"],
      [T.gridName, body.grid.name],
      [T.community, body.community && body.community.name],
      [T.street, body.street && body.street.name],
      [T.district, body.district && body.district.name],
      [T.point, latlng.lng.toFixed(6) + ", " + latlng.lat.toFixed(6)],
    ];
    resultEl.className = "locate-result found";
    resultEl.dataset.gridCode = body.grid.code;
    resultEl.replaceChildren(definitionList(rows));
    setLocated(body.grid.code);
    clickMarker.bindPopup(el("strong", {}, body.grid.code + (body.grid.name ? " " + body.grid.name : "")))
      .openPopup();
  }

  function showNotLocated(body) {
    var message = (body && body.message) || T.loadFailed;
    resultEl.className = "locate-result not-found";
    resultEl.dataset.gridCode = "";
    resultEl.replaceChildren(el("p", {}, message));
    setLocated(null);
  }

  function locate(latlng) {
    if (clickMarker) clickMarker.remove();
    clickMarker = L.circleMarker(latlng, {
      radius: 5, color: "#e65100", weight: 2, fillColor: "#fff", fillOpacity: 1,
    }).addTo(map);
    resultEl.className = "locate-result";
    resultEl.dataset.gridCode = "";
    resultEl.replaceChildren(el("p", { class: "map-notice" }, T.locating));
    var url = cfg.locateUrl + "?lon=" + latlng.lng.toFixed(7) + "&lat=" + latlng.lat.toFixed(7) +
      "&crs=wgs84";
    getJSON("locate", url)
      .then(function (r) {
        if (r.ok && r.body.grid) showLocated(latlng, r.body);
        else showNotLocated(r.body);
      })
      .catch(function (err) { if (err.name !== "AbortError") showNotLocated(null); });
  }

  function addLegend() {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      // A <details> so phones can fold the legend away from the small map.
      var box = el("details", { class: "map-legend" });
      if (window.innerWidth > 800) box.open = true;
      box.appendChild(el("summary", {}, T.legend));
      function item(swatchClass, color, text) {
        var row = el("div");
        var swatch = el("span", { class: "swatch " + swatchClass });
        if (color) swatch.style.background = color;
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(text));
        box.appendChild(row);
      }
      item("grid", null, T.grids);
      item("located", null, T.located);
      box.appendChild(el("div", { class: "legend-title" }, T.componentStates));
      cfg.states.forEach(function (s) { item("", s.color, s.label); });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(map);
  }

  addLegend();
  map.on("click", function (e) { locate(e.latlng); });
  map.on("moveend", function () { loadGrids(); loadComponents(); });

  if (cfg.bounds) {
    map.fitBounds(cfg.bounds, { padding: [24, 24] });
  } else {
    // No grids yet: a provincial overview so the page is not blank.
    map.setView([23.13, 113.27], 8);
  }
})();
