// New-case form: pick the place on a map (or type lon/lat), see its grid / community / street,
// and show the contact fields only for sources that come from the public.
(function () {
  "use strict";

  var cfgEl = document.getElementById("report-map-config");
  if (!cfgEl) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.labels;
  var lonInput = document.getElementById("id_lon");
  var latInput = document.getElementById("id_lat");
  var resultEl = document.getElementById("located");
  var errorEl = document.getElementById("location-error");

  var GRID_STYLE = { color: "#1565c0", weight: 1.5, fillColor: "#1565c0", fillOpacity: 0.06 };
  var LOCATED_STYLE = { color: "#e65100", weight: 3, fillColor: "#e65100", fillOpacity: 0.2 };

  var map = L.map("report-map", { minZoom: 3, maxZoom: 20, zoomSnap: 0.5, tap: true });
  // Exposed for tests, like the map page's window.yiwangMap.
  window.yiwangReportMap = map;
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { maxZoom: 20 }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");

  var gridLayer = L.featureGroup().addTo(map);
  var marker = null;
  var locatedCode = null;
  var pending = {};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function getJSON(kind, url) {
    if (pending[kind]) pending[kind].abort();
    var controller = new AbortController();
    pending[kind] = controller;
    return fetch(url, { credentials: "same-origin", signal: controller.signal,
                        headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, body: body };
        });
      });
  }

  function styleGrids() {
    gridLayer.eachLayer(function (layer) {
      layer.setStyle(layer.feature.properties.code === locatedCode ? LOCATED_STYLE : GRID_STYLE);
    });
  }

  function loadGrids() {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (n) { return n.toFixed(6); }).join(",");
    getJSON("grids", cfg.gridsUrl + "?bbox=" + bbox).then(function (r) {
      if (!r.ok) return;
      gridLayer.clearLayers();
      L.geoJSON(r.body, {
        style: function () { return GRID_STYLE; },
        // Grids must not swallow the click that places the point.
        interactive: false,
      }).eachLayer(function (layer) { gridLayer.addLayer(layer); });
      styleGrids();
    }).catch(function () { /* the map still works without grid outlines */ });
  }

  function showResult(kind, content) {
    resultEl.className = "located" + (kind ? " " + kind : "");
    resultEl.replaceChildren(content);
  }

  function locate(lat, lon, pan, keepError) {
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.circleMarker([lat, lon], {
      radius: 9, color: "#e65100", weight: 3, fillColor: "#fff", fillOpacity: 1, interactive: false,
    }).addTo(map);
    if (pan) map.panTo([lat, lon]);
    // The server's refusal stays visible until the reporter moves the point.
    if (!keepError) errorEl.textContent = "";
    showResult("", el("span", { class: "hint" }, T.locating));
    var url = cfg.locateUrl + "?lon=" + lon.toFixed(7) + "&lat=" + lat.toFixed(7) + "&crs=wgs84";
    getJSON("locate", url).then(function (r) {
      if (r.ok && r.body.grid) {
        locatedCode = r.body.grid.code;
        var dl = el("dl", { class: "attrs" });
        [[T.gridCode, r.body.grid.code + (r.body.grid.name ? " " + r.body.grid.name : "")],
         [T.community, r.body.community && r.body.community.name],
         [T.street, r.body.street && r.body.street.name]].forEach(function (row) {
          dl.appendChild(el("dt", {}, row[0]));
          dl.appendChild(el("dd", {}, row[1] || "—"));
        });
        resultEl.dataset.gridCode = locatedCode;
        showResult("found", dl);
      } else {
        locatedCode = null;
        resultEl.dataset.gridCode = "";
        showResult("not-found", el("span", {}, (r.body && r.body.message) || T.loadFailed));
      }
      styleGrids();
    }).catch(function (err) {
      if (err.name !== "AbortError") showResult("not-found", el("span", {}, T.loadFailed));
    });
  }

  function setPoint(lat, lon, pan) {
    lonInput.value = lon.toFixed(6);
    latInput.value = lat.toFixed(6);
    locate(lat, lon, pan);
  }

  map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, false); });
  map.on("moveend", loadGrids);

  function typed() {
    var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
    if (lonInput.value.trim() === "" || latInput.value.trim() === "") return;
    if (!isFinite(lon) || !isFinite(lat)) { errorEl.textContent = T.badNumber; return; }
    locate(lat, lon, true);
  }
  lonInput.addEventListener("change", typed);
  latInput.addEventListener("change", typed);

  var geoButton = document.getElementById("use-my-location");
  if (!navigator.geolocation) {
    geoButton.hidden = true;
  } else {
    geoButton.addEventListener("click", function () {
      showResult("", el("span", { class: "hint" }, T.geoLocating));
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 17));
          setPoint(pos.coords.latitude, pos.coords.longitude, false);
        },
        function () { showResult("not-found", el("span", {}, T.geoFailed)); },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  }

  // Start where the form left off (a refused submit keeps the point), else on the user's grids.
  var lon0 = parseFloat(lonInput.value), lat0 = parseFloat(latInput.value);
  if (isFinite(lon0) && isFinite(lat0)) {
    map.setView([lat0, lon0], 17);
    locate(lat0, lon0, false, true);
  } else if (cfg.bounds) {
    map.fitBounds(cfg.bounds, { padding: [16, 16] });
    showResult("", el("span", { class: "hint" }, T.pickOnMap));
  } else {
    map.setView([23.13, 113.27], 8);
    showResult("", el("span", { class: "hint" }, T.pickOnMap));
  }

  // Contact name and phone matter for public and hotline reports only.
  var contact = document.getElementById("contact-fields");
  var source = document.getElementById("id_source");
  if (contact && source) {
    var wanted = (contact.dataset.sources || "").split(",");
    var toggle = function () {
      contact.hidden = wanted.indexOf(source.value) < 0 && !contact.querySelector(".field-error");
    };
    source.addEventListener("change", toggle);
    toggle();
  }
})();
