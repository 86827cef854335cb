// The hotspot map: H3 cells coloured by Gi* class; a click on a ranked row flies to its cell.
(function () {
  "use strict";
  var node = document.getElementById("hotspot-config");
  // Swatches take their colour from data attributes (the CSP forbids inline styles).
  document.querySelectorAll(".hotspot-legend .swatch").forEach(function (s) {
    s.style.background = s.getAttribute("data-color");
  });
  if (!node) return;
  var cfg = JSON.parse(node.textContent);
  var T = cfg.labels;
  var colour = {};
  var label = {};
  cfg.classes.forEach(function (c) {
    colour[c.kind + c.confidence] = c.color;
    label[c.kind + c.confidence] = c.label;
  });

  var map = L.map("map", { minZoom: 3, maxZoom: 19, zoomSnap: 0.5 });
  window.yiwangMap = map;  // for tests
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { maxZoom: 19 }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");

  function key(p) { return p.kind + p.confidence; }
  var layer = L.geoJSON(cfg.cells, {
    style: function (f) {
      var p = f.properties;
      var significant = p.kind !== "";
      return { color: significant ? "#555" : "#999", weight: significant ? 1 : 0.5,
               fillColor: colour[key(p)] || "#bdbdbd", fillOpacity: significant ? 0.75 : 0.35 };
    },
    onEachFeature: function (f, lyr) {
      var p = f.properties;
      var text = T.cell + " " + p.cell + "\n" + T.count + " " + p.count + "\n" +
        "z " + (p.z === null ? "—" : p.z.toFixed(2)) + "  p " + (p.p === null ? "—" : p.p.toFixed(4)) +
        "\n" + T["class"] + " " + (label[key(p)] || "");
      lyr.bindTooltip(text.replace(/\n/g, "<br>"));
    },
  }).addTo(map);
  window.yiwangHotspotLayer = layer;

  if (layer.getLayers().length) {
    map.fitBounds(layer.getBounds(), { padding: [20, 20] });
  } else if (cfg.bounds) {
    map.fitBounds(cfg.bounds);
  } else {
    map.setView([22.54, 114.05], 11);
  }

  document.querySelectorAll(".hotspot-table tbody tr").forEach(function (row) {
    function go() {
      map.setView([parseFloat(row.getAttribute("data-lat")), parseFloat(row.getAttribute("data-lon"))], 15);
    }
    row.addEventListener("click", go);
    row.addEventListener("keydown", function (e) { if (e.key === "Enter") go(); });
  });
})();
