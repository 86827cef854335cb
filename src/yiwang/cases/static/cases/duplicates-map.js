// The duplicates panel's small map: this case, the search radius and the numbered candidates.
(function () {
  "use strict";
  var node = document.getElementById("dup-map-data");
  if (!node || !document.getElementById("dup-map")) return;
  var data = JSON.parse(node.textContent);
  var map = L.map("dup-map", { maxZoom: 21, scrollWheelZoom: false });
  window.yiwangDuplicatesMap = map;
  if (data.tileUrl) L.tileLayer(data.tileUrl, { maxZoom: 21 }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  var area = L.circle(data.point, {
    radius: data.radius, color: "#1565c0", weight: 1, dashArray: "4 4", fillOpacity: 0.05,
    interactive: false,
  });
  // Vector layers need a view before they are added.
  var bounds = L.latLngBounds([data.point]);
  data.candidates.forEach(function (c) { bounds.extend(c.point); });
  map.fitBounds(bounds.pad(0.4), { maxZoom: 19 });
  area.addTo(map);
  if (map.getZoom() > 18 && data.radius > 30) map.fitBounds(area.getBounds());
  L.circleMarker(data.point, {
    radius: 9, weight: 3, color: "#fff", fillColor: data.color, fillOpacity: 1,
  }).addTo(map).bindTooltip(document.title.split(" ")[0]);
  data.candidates.forEach(function (c) {
    var icon = L.divIcon({ className: "dup-marker", html: "", iconSize: [22, 22] });
    var marker = L.marker(c.point, { icon: icon, keyboard: false }).addTo(map);
    // Text, never markup: titles are what reporters wrote.
    marker.getElement().textContent = c.label;
    marker.bindTooltip(c.number + " · " + c.distance + " m");
    marker.on("click", function () {
      var row = document.querySelector('.dup-item[data-number="' + c.number + '"]');
      if (row) { row.scrollIntoView({ block: "nearest" }); row.classList.add("flash"); }
      window.setTimeout(function () { if (row) row.classList.remove("flash"); }, 1200);
    });
  });
})();
