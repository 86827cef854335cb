// Reports near a point: tap the map (or take the phone's location) to list those around it.
// Report points arrive rounded to about 100 m: the map shows the area, not a door.
(function () {
  "use strict";

  document.documentElement.classList.add("js");
  var cfg = JSON.parse(document.getElementById("nearby-config").textContent);
  var T = cfg.labels;
  var form = document.getElementById("nearby-form");
  var lonInput = document.getElementById("id_lon");
  var latInput = document.getElementById("id_lat");
  var placeEl = document.getElementById("place");

  var map = L.map("nearby-map", { minZoom: 3, maxZoom: 20, zoomSnap: 0.5 });
  window.yiwangNearbyMap = map;
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { maxZoom: 20 }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  if (cfg.bounds) {
    L.rectangle(cfg.bounds, {
      color: "#1565c0", weight: 1.5, dashArray: "6 4", fillOpacity: 0.04, interactive: false,
    }).addTo(map);
  }

  function go(lat, lon) {
    lonInput.value = lon.toFixed(6);
    latInput.value = lat.toFixed(6);
    form.submit();
  }

  if (cfg.point) {
    // A view first: vector layers cannot be added to a map without one.
    map.fitBounds(L.latLng(cfg.point).toBounds(cfg.radius * 2), { padding: [8, 8] });
    L.circle(cfg.point, {
      radius: cfg.radius, color: "#e65100", weight: 2, fillOpacity: 0.05, interactive: false,
    }).addTo(map);
    L.circleMarker(cfg.point, {
      radius: 7, color: "#fff", weight: 2, fillColor: "#e65100", fillOpacity: 1, interactive: false,
    }).addTo(map);
    (cfg.reports || []).forEach(function (r) {
      var label = document.createElement("span");
      label.textContent = r.name + " · " + r.status;
      L.circleMarker([r.lat, r.lon], {
        radius: 8, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 0.9,
      }).bindTooltip(label).addTo(map);
    });
  } else if (cfg.bounds) {
    map.fitBounds(cfg.bounds, { padding: [12, 12] });
  } else {
    map.setView([23.13, 113.27], 8);
  }

  map.on("click", function (e) { go(e.latlng.lat, e.latlng.lng); });

  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { placeEl.textContent = T.geoUnsupported; return; }
    placeEl.textContent = T.locating;
    navigator.geolocation.getCurrentPosition(
      function (pos) { go(pos.coords.latitude, pos.coords.longitude); },
      function () { placeEl.textContent = T.geoFailed; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
