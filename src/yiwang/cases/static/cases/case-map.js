// A small map on the case page: the case's point and its unit grid. No tiles unless configured.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("case-map-data").textContent);
  var map = L.map("case-map", { maxZoom: 20 });
  window.yiwangMap = map;
  if (data.tileUrl) L.tileLayer(data.tileUrl, { maxZoom: 20 }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  var grid = L.geoJSON(data.grid, {
    style: { color: "#1565c0", weight: 1.5, fillColor: "#1565c0", fillOpacity: 0.06 },
    interactive: false,
  });
  // Vector layers need a view before they are added.
  var bounds = grid.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds.extend(data.point), { padding: [20, 20] });
  else map.setView(data.point, 17);
  grid.addTo(map);
  L.circleMarker(data.point, {
    radius: 9, weight: 3, color: "#fff", fillColor: data.color, fillOpacity: 1,
  }).addTo(map);
})();
