// Placing a 待定位 hotline order: click the map (or type lon/lat) and submit the form.
(function () {
  "use strict";

  var cfgEl = document.getElementById("place-map-config");
  var mapEl = document.getElementById("place-map");
  if (!cfgEl || !mapEl) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var lonInput = document.getElementById("id_lon");
  var latInput = document.getElementById("id_lat");
  var hint = document.getElementById("place-hint");

  var GRID_STYLE = { color: "#1565c0", weight: 1.5, fillColor: "#1565c0", fillOpacity: 0.06 };
  var map = L.map(mapEl, { minZoom: 3, maxZoom: 20, zoomSnap: 0.5, tap: true });
  // Exposed for tests, like the other maps.
  window.yiwangPlaceMap = map;
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { maxZoom: 20 }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  var grids = L.featureGroup().addTo(map);
  var marker = null;

  function loadGrids() {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (n) { return n.toFixed(6); }).join(",");
    fetch(cfg.gridsUrl + "?bbox=" + bbox, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        grids.clearLayers();
        L.geoJSON(body, { style: function () { return GRID_STYLE; }, interactive: false })
          .eachLayer(function (layer) { grids.addLayer(layer); });
      })
      .catch(function () { /* the map works without grid outlines */ });
  }

  function show(lat, lon) {
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.circleMarker([lat, lon], {
      radius: 9, color: "#e65100", weight: 3, fillColor: "#fff", fillOpacity: 1, interactive: false,
    }).addTo(map);
    if (hint) hint.textContent = cfg.labels.picked + "：" + lon.toFixed(6) + ", " + lat.toFixed(6);
  }

  map.on("click", function (e) {
    lonInput.value = e.latlng.lng.toFixed(6);
    latInput.value = e.latlng.lat.toFixed(6);
    show(e.latlng.lat, e.latlng.lng);
  });
  map.on("moveend", loadGrids);
  [lonInput, latInput].forEach(function (input) {
    input.addEventListener("change", function () {
      var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
      if (isFinite(lon) && isFinite(lat)) { show(lat, lon); map.panTo([lat, lon]); }
    });
  });

  if (cfg.bounds) map.fitBounds(cfg.bounds, { padding: [16, 16] });
  else map.setView([23.13, 113.27], 8);
})();
