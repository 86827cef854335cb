// 城管通 上报: the phone's position on a map (adjustable), the type by name, a description and
// photos. Saving stores the report on the phone (phone.js) and sends it when it can.
(function () {
  "use strict";

  var P = window.yiwangPhone;
  var form = document.getElementById("phone-report");
  if (!P || !form) return;
  var cfg = P.cfg;
  var T = P.labels;

  var positionText = document.getElementById("position-text");
  var errorEl = document.getElementById("report-error");
  var savedEl = document.getElementById("report-saved");
  var typeInput = document.getElementById("type-q");
  var typeList = document.getElementById("type-options");
  var typeChosen = document.getElementById("type-chosen");
  var photoInput = document.getElementById("photo-input");
  var previews = document.getElementById("photo-previews");
  var queueEl = document.getElementById("queue");
  var sentEl = document.getElementById("sent");
  var queueCount = document.getElementById("queue-count");
  var queueEmpty = document.getElementById("queue-empty");

  var point = null; // {lon, lat, accuracy}
  var chosenType = null; // {kind, code, name}
  var photos = []; // [{blob, url}]
  var types = null;
  var MAX_OPTIONS = 30;
  var lastSaved = null; // the id of the report the note under the button is about

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- the map ---------------------------------------------------------------------------

  var map = L.map("phone-map", { minZoom: 3, maxZoom: 20, zoomSnap: 0.5, tap: true });
  window.yiwangPhoneMap = map; // for tests, like the other maps
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { maxZoom: 20 }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  var pin = L.marker([0, 0], {
    draggable: true, keyboard: true,
    // A drawn pin: no marker image to fetch, so it shows offline too.
    icon: L.divIcon({ className: "phone-pin", iconSize: [22, 22], iconAnchor: [11, 11] }),
  });
  var accuracyCircle = L.circle([0, 0], { radius: 1, color: "#1565c0", weight: 1, fillOpacity: 0.08, interactive: false });

  function showPoint(text) { positionText.textContent = text; }

  function setPoint(lat, lon, accuracy, pan) {
    point = { lon: lon, lat: lat, accuracy: accuracy };
    pin.setLatLng([lat, lon]);
    if (!map.hasLayer(pin)) pin.addTo(map);
    if (typeof accuracy === "number") {
      accuracyCircle.setLatLng([lat, lon]).setRadius(accuracy);
      if (!map.hasLayer(accuracyCircle)) accuracyCircle.addTo(map);
    } else if (map.hasLayer(accuracyCircle)) {
      map.removeLayer(accuracyCircle);
    }
    if (pan) map.setView([lat, lon], Math.max(map.getZoom() || 0, 17));
    var where = lon.toFixed(6) + ", " + lat.toFixed(6);
    showPoint(typeof accuracy === "number"
      ? where + " · " + P.format(T.accuracy, { m: Math.round(accuracy) })
      : where);
    positionText.dataset.lon = lon.toFixed(7);
    positionText.dataset.lat = lat.toFixed(7);
  }

  pin.on("dragend", function () {
    var ll = pin.getLatLng();
    setPoint(ll.lat, ll.lng, null, false); // moved by hand: the GPS accuracy no longer applies
  });
  map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, null, false); });

  function locate() {
    if (!navigator.geolocation) { showPoint(T.geoFailed); return; }
    showPoint(T.locating);
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        setPoint(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy, true);
      },
      function () { showPoint(point ? positionText.textContent : T.geoFailed); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  }
  document.getElementById("use-gps").addEventListener("click", locate);

  if (cfg.bounds) map.fitBounds(cfg.bounds, { padding: [8, 8] });
  else map.setView([23.13, 113.27], 8);
  showPoint(T.pickOnMap);
  // Opened from a 重点监管 check that found a problem: the spot's position and the check's
  // note are given in the address (?lon=&lat=&check=&note=); the phone's GPS is not asked.
  var given = new URLSearchParams(window.location.search);
  var givenLon = parseFloat(given.get("lon")), givenLat = parseFloat(given.get("lat"));
  if (isFinite(givenLon) && isFinite(givenLat) && Math.abs(givenLon) <= 180 && Math.abs(givenLat) <= 90) {
    setPoint(givenLat, givenLon, null, true);
    var description = document.getElementById("description");
    if (given.get("note") && description && !description.value) description.value = given.get("note");
    if (given.get("check")) {
      savedEl.textContent = T.fromCheck;
      savedEl.hidden = false;
    }
  } else {
    locate();
  }

  // Grid outlines help to place the point; without a network the map works without them.
  var GRID_STYLE = { color: "#1565c0", weight: 1, fillOpacity: 0.03, interactive: false };
  var gridLayer = L.featureGroup().addTo(map);
  function loadGrids() {
    if (!navigator.onLine || map.getZoom() < 14) return;
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (n) { return n.toFixed(6); }).join(",");
    fetch(cfg.gridsUrl + "?bbox=" + bbox, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (geo) {
        if (!geo) return;
        gridLayer.clearLayers();
        L.geoJSON(geo, { style: function () { return GRID_STYLE; }, interactive: false })
          .eachLayer(function (layer) { gridLayer.addLayer(layer); });
      }).catch(function () { /* offline: no outlines */ });
  }
  map.on("moveend", loadGrids);

  // ---- the type, by name -----------------------------------------------------------------

  function loadTypes() {
    return fetch(cfg.typesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (body) { types = body.types || []; return types; });
  }

  function kindLabel(kind) { return kind === "component" ? T.component : T.matter; }

  function renderOptions() {
    var q = typeInput.value.trim().toLowerCase();
    typeList.replaceChildren();
    if (!types) {
      typeList.appendChild(el("li", { class: "picker-empty" }, T.typesUnavailable));
      typeList.hidden = false;
      return;
    }
    if (!q) { typeList.hidden = true; return; }
    var kindEl = form.querySelector("input[name=kind-filter]:checked");
    var kind = kindEl ? kindEl.value : "";
    // Best matches first: the name itself, a name starting with it, containing it, a code.
    function rank(t) {
      var name = t.name.toLowerCase();
      if (name === q) return 0;
      if (name.indexOf(q) === 0) return 1;
      if (name.indexOf(q) >= 0) return 2;
      if (t.code.indexOf(q) === 0) return 3;
      if ((t.major || "").toLowerCase().indexOf(q) >= 0) return 4;
      return -1;
    }
    var found = types.map(function (t, i) { return { t: t, r: rank(t), i: i }; })
      .filter(function (x) { return x.r >= 0 && (!kind || x.t.kind === kind); })
      .sort(function (a, b) { return a.r - b.r || a.i - b.i; })
      .slice(0, MAX_OPTIONS)
      .map(function (x) { return x.t; });
    if (!found.length) typeList.appendChild(el("li", { class: "picker-empty" }, T.noTypeMatch));
    found.forEach(function (t) {
      var li = el("li", { role: "option" });
      var b = el("button", { type: "button", class: "type-option", "data-code": t.code, "data-kind": t.kind });
      b.append(el("span", { class: "code" }, t.code), " " + t.name + " ",
               el("small", {}, kindLabel(t.kind) + " · " + (t.major || "")));
      b.addEventListener("click", function () { choose(t); });
      li.appendChild(b);
      typeList.appendChild(li);
    });
    typeList.hidden = false;
  }

  function choose(t) {
    chosenType = t;
    typeInput.value = t.name;
    typeList.hidden = true;
    typeChosen.textContent = t.code + " " + t.name + "（" + kindLabel(t.kind) + "）";
    typeChosen.hidden = false;
    typeChosen.dataset.code = t.code;
  }

  typeInput.addEventListener("input", function () {
    chosenType = null;
    typeChosen.hidden = true;
    typeChosen.dataset.code = "";
    if (types) renderOptions();
    else loadTypes().then(renderOptions, renderOptions);
  });
  form.querySelectorAll("input[name=kind-filter]").forEach(function (radio) {
    radio.addEventListener("change", function () { if (types) renderOptions(); });
  });
  loadTypes().catch(function () { /* shown when the reporter searches */ });

  // ---- photos ----------------------------------------------------------------------------

  function renderPreviews() {
    previews.replaceChildren();
    photos.forEach(function (p, i) {
      var li = el("li");
      li.appendChild(el("img", { src: p.url, alt: T.photos + " " + (i + 1) }));
      var rm = el("button", { type: "button", class: "link-button remove-photo" }, T.remove);
      rm.addEventListener("click", function () {
        URL.revokeObjectURL(p.url);
        photos.splice(i, 1);
        renderPreviews();
      });
      li.appendChild(rm);
      previews.appendChild(li);
    });
  }

  photoInput.addEventListener("change", function () {
    var files = Array.prototype.slice.call(photoInput.files || []);
    photoInput.value = "";
    hideMessages();
    var room = cfg.maxPhotos - photos.length;
    if (files.length > room) showError(P.format(T.tooManyPhotos, { n: cfg.maxPhotos }));
    files.slice(0, Math.max(0, room)).reduce(function (chain, file) {
      return chain.then(function () {
        return P.resize(file).then(function (blob) {
          photos.push({ blob: blob, url: URL.createObjectURL(blob) });
          renderPreviews();
        }, function () { showError(T.badPhoto); });
      });
    }, Promise.resolve());
  });

  // ---- saving ----------------------------------------------------------------------------

  function hideMessages() { errorEl.hidden = true; savedEl.hidden = true; }
  function showError(text) { errorEl.textContent = text; errorEl.hidden = false; }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    hideMessages();
    if (!point) { showError(T.needPosition); return; }
    if (!chosenType) { showError(T.needType); typeInput.focus(); return; }
    var item = {
      kind: chosenType.kind, typeCode: chosenType.code, typeName: chosenType.name,
      description: document.getElementById("description").value.trim(),
      urgent: document.getElementById("urgent").checked,
      lon: Math.round(point.lon * 1e7) / 1e7, lat: Math.round(point.lat * 1e7) / 1e7,
      accuracy: typeof point.accuracy === "number" ? point.accuracy : null,
      photos: photos.map(function (p) { return { blob: p.blob, state: "" }; }),
    };
    var button = document.getElementById("report-submit");
    button.disabled = true;
    P.save(item).then(function () {
      lastSaved = item.id;
      // A new report starts empty; the place stays (the next problem is often next door).
      photos.forEach(function (p) { URL.revokeObjectURL(p.url); });
      photos = [];
      renderPreviews();
      document.getElementById("description").value = "";
      document.getElementById("urgent").checked = false;
      typeInput.value = "";
      chosenType = null;
      typeChosen.hidden = true;
      savedEl.textContent = navigator.onLine ? T.saved : T.savedOffline;
      savedEl.hidden = false;
      P.flush();
    }, function () { showError(T.storageFailed); })
      .finally(function () { button.disabled = false; });
  });

  // ---- the queue -------------------------------------------------------------------------

  function statusLabel(item) {
    if (P.isBusy(item.id)) return T.sending;
    if (item.userId !== cfg.userId) return T.otherUser;
    return { queued: T.queued, filed: T.filed, done: T.done, refused: T.refused }[item.status] || item.status;
  }

  function row(item) {
    var li = el("li", { class: "queue-item status-" + item.status, "data-id": item.id, "data-status": item.status });
    var head = el("div", { class: "queue-head" });
    head.append(el("strong", {}, item.typeName || item.typeCode),
                el("span", { class: "queue-status" }, statusLabel(item)));
    li.appendChild(head);
    var meta = el("div", { class: "queue-meta" }, new Date(item.createdAt).toLocaleString());
    if (item.number) {
      meta.append(" · " + T.caseNumber + " ");
      meta.appendChild(el("a", { href: cfg.caseUrl.replace("NUMBER", item.number) }, item.number));
    }
    var nPhotos = (item.photos || []).length;
    if (nPhotos) {
      var sent = item.photos.filter(function (p) { return p.state === "sent"; }).length;
      meta.append(" · " + T.photos + " " + sent + "/" + nPhotos);
    }
    li.appendChild(meta);
    if (item.number) li.dataset.number = item.number;
    if (item.description) li.appendChild(el("div", { class: "queue-text" }, item.description));
    var errors = [item.error].concat((item.photos || []).map(function (p) { return p.error; }))
      .filter(Boolean);
    if (errors.length) li.appendChild(el("div", { class: "field-error" }, errors.join("；")));
    if ((item.status === "queued" || item.status === "refused") && !P.isBusy(item.id)) {
      var rm = el("button", { type: "button", class: "link-button remove-report" }, T.remove);
      rm.addEventListener("click", function () {
        if (window.confirm(T.removeConfirm)) P.store.remove(item.id).then(render);
      });
      li.appendChild(rm);
    }
    return li;
  }

  function render() {
    P.store.all().then(function (items) {
      var pending = items.filter(function (i) { return i.status !== "done"; });
      var sent = items.filter(function (i) { return i.status === "done"; }).reverse();
      queueEl.replaceChildren.apply(queueEl, pending.map(row));
      sentEl.replaceChildren.apply(sentEl, sent.map(row));
      queueCount.textContent = String(pending.length);
      queueCount.hidden = pending.length === 0;
      queueEmpty.hidden = pending.length > 0;
      // The note under the button follows the report it was about.
      var last = items.filter(function (i) { return i.id === lastSaved; })[0];
      if (last && last.status === "done") {
        savedEl.textContent = T.done + " · " + T.caseNumber + " " + last.number;
      } else if (last && last.status === "refused") {
        savedEl.hidden = true;
      }
    }).catch(function () { showError(T.storageFailed); });
  }

  P.onChange(render);
  render();
})();
