// The public report page: pick a type (search or picture tiles), a place (tap the map or the
// phone's location), photos resized here to at most 1600 px JPEG, and send it with fetch so a
// refusal shows next to its field without losing the chosen photos. Without this script the
// page is a plain form (a select for the type, typed coordinates, files sent as they are).
(function () {
  "use strict";

  document.documentElement.classList.add("js");
  var cfg = JSON.parse(document.getElementById("public-map-config").textContent);
  var data = JSON.parse(document.getElementById("public-types").textContent);
  var T = cfg.labels;
  var form = document.getElementById("public-report");
  var typeSelect = document.getElementById("id_type");
  var lonInput = document.getElementById("id_lon");
  var latInput = document.getElementById("id_lat");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- the type: search or tiles ---------------------------------------------------------
  var chosen = document.getElementById("type-chosen");
  var chosenName = document.getElementById("type-chosen-name");
  var pick = document.getElementById("type-pick");
  var search = document.getElementById("type-search");
  var results = document.getElementById("type-results");
  var tiles = document.getElementById("tiles");
  var hint = document.getElementById("pick-hint");
  var categoryBox = document.getElementById("category-types");
  var categoryName = document.getElementById("category-name");
  var categoryList = document.getElementById("category-list");
  var allTypes = [];
  data.categories.forEach(function (c) {
    c.types.forEach(function (t) {
      allTypes.push({ id: t.id, name: t.name, category: c.name, keywords: (t.keywords || "").toLowerCase() });
    });
  });

  function choose(type) {
    typeSelect.value = String(type.id);
    chosenName.textContent = type.category + " · " + type.name;
    chosen.hidden = false;
    pick.hidden = true;
    clearError("type");
  }

  function typeButton(type, showCategory) {
    var li = el("li");
    var button = el("button", { type: "button", "data-type": type.id }, type.name);
    if (showCategory) button.appendChild(el("small", {}, type.category));
    button.addEventListener("click", function () { choose(type); });
    li.appendChild(button);
    return li;
  }

  function showCategory(category) {
    categoryName.textContent = category.name;
    categoryList.replaceChildren.apply(categoryList, category.types.map(function (t) {
      return typeButton({ id: t.id, name: t.name, category: category.name }, false);
    }));
    tiles.hidden = true;
    hint.hidden = true;
    categoryBox.hidden = false;
    categoryBox.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function showTiles() {
    categoryBox.hidden = true;
    tiles.hidden = false;
    hint.hidden = false;
  }

  tiles.addEventListener("click", function (e) {
    var tile = e.target.closest(".tile");
    if (!tile) return;
    var id = Number(tile.dataset.category);
    data.categories.forEach(function (c) { if (c.id === id) showCategory(c); });
  });
  document.getElementById("category-back").addEventListener("click", showTiles);
  document.getElementById("type-change").addEventListener("click", function () {
    chosen.hidden = true;
    pick.hidden = false;
    showTiles();
    search.focus();
  });

  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    if (!q) { results.hidden = true; results.replaceChildren(); return; }
    var found = allTypes.filter(function (t) {
      return t.name.toLowerCase().indexOf(q) >= 0 || t.category.toLowerCase().indexOf(q) >= 0 ||
        t.keywords.indexOf(q) >= 0;
    }).slice(0, 20);
    if (found.length) {
      results.replaceChildren.apply(results, found.map(function (t) { return typeButton(t, true); }));
    } else {
      results.replaceChildren(el("li", { class: "empty" }, T.noMatch));
    }
    results.hidden = false;
  });

  // ---- the place: tap the map or the phone's location --------------------------------------
  var placeEl = document.getElementById("place");
  var map = L.map("public-map", { minZoom: 3, maxZoom: 20, zoomSnap: 0.5 });
  window.yiwangPublicMap = map; // for tests, like the other pages' maps
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { maxZoom: 20 }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  if (cfg.bounds) {
    // The area the city takes reports for: drawn so a map without base tiles is not blank.
    L.rectangle(cfg.bounds, {
      color: "#1565c0", weight: 1.5, dashArray: "6 4", fillOpacity: 0.04, interactive: false,
    }).addTo(map);
  }
  var marker = null;
  var pending = null;

  function showPlace(text, bad) {
    placeEl.textContent = text;
    placeEl.className = "place" + (bad ? " bad" : "");
  }

  function setPoint(lat, lon) {
    lonInput.value = lon.toFixed(6);
    latInput.value = lat.toFixed(6);
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.marker([lat, lon], { interactive: false, keyboard: false }).addTo(map);
    clearError("location");
    showPlace(T.checking, false);
    if (pending) pending.abort();
    pending = new AbortController();
    var url = cfg.placeUrl + "?lon=" + lon.toFixed(7) + "&lat=" + lat.toFixed(7);
    fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (r) {
        if (r.ok) showPlace(T.picked + r.body.place, false);
        else showPlace(r.body.message || "", true);
      })
      .catch(function (err) { if (err.name !== "AbortError") showPlace("", false); });
  }

  map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng); });

  var geoButton = document.getElementById("use-location");
  geoButton.addEventListener("click", function () {
    if (!navigator.geolocation) { showPlace(T.geoUnsupported, true); return; }
    showPlace(T.locating, false);
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 17));
        setPoint(pos.coords.latitude, pos.coords.longitude);
      },
      function () { showPlace(T.geoFailed, true); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  var lon0 = parseFloat(lonInput.value), lat0 = parseFloat(latInput.value);
  if (isFinite(lon0) && isFinite(lat0)) {
    map.setView([lat0, lon0], 17);
    setPoint(lat0, lon0);
  } else if (cfg.bounds) {
    map.fitBounds(cfg.bounds, { padding: [12, 12] });
  } else {
    map.setView([23.13, 113.27], 8);
  }
  [lonInput, latInput].forEach(function (input) {
    input.addEventListener("change", function () {
      var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
      if (isFinite(lon) && isFinite(lat)) { map.setView([lat, lon], 17); setPoint(lat, lon); }
    });
  });

  // ---- photos: resized here, kept here until sent ------------------------------------------
  var fileInput = document.getElementById("id_photos");
  var previews = document.getElementById("photo-previews");
  var photos = []; // {blob, name, url}

  function resize(file) {
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var w = img.naturalWidth, h = img.naturalHeight;
        var scale = Math.min(1, cfg.maxSide / Math.max(w, h));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(w * scale));
        canvas.height = Math.max(1, Math.round(h * scale));
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff"; // transparent PNG areas become white, not black, in JPEG
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(blob ? { blob: blob, name: name } : { blob: file, name: file.name });
        }, "image/jpeg", 0.85);
      };
      // Not a picture this browser can draw: sent as it is, the server says what is wrong.
      img.onerror = function () { URL.revokeObjectURL(url); resolve({ blob: file, name: file.name }); };
      img.src = url;
    });
  }

  function drawPreviews() {
    previews.replaceChildren.apply(previews, photos.map(function (p, i) {
      var li = el("li");
      var img = el("img", { src: p.url, alt: T.photo + " " + (i + 1) });
      var remove = el("button", { type: "button", "aria-label": T.remove + " " + T.photo + " " + (i + 1) }, "×");
      remove.addEventListener("click", function () {
        URL.revokeObjectURL(p.url);
        photos.splice(i, 1);
        drawPreviews();
      });
      li.appendChild(img);
      li.appendChild(remove);
      li.appendChild(el("span", { class: "size" }, Math.max(1, Math.round(p.blob.size / 1024)) + " KB"));
      return li;
    }));
  }

  fileInput.addEventListener("change", function () {
    var files = Array.prototype.slice.call(fileInput.files || []);
    fileInput.value = ""; // the same picture may be chosen again after removing it
    var room = cfg.maxPhotos - photos.length;
    clearError("photos");
    if (files.length > room) showError("photos", T.tooMany);
    files = files.slice(0, Math.max(0, room));
    if (!files.length) return;
    showPlaceholder(true);
    Promise.all(files.map(resize)).then(function (done) {
      done.forEach(function (p) {
        p.url = URL.createObjectURL(p.blob);
        photos.push(p);
      });
      showPlaceholder(false);
      drawPreviews();
    });
  });

  var busy = document.createElement("p");
  busy.className = "hint";
  busy.textContent = T.resizing;
  function showPlaceholder(on) {
    if (on) previews.parentNode.insertBefore(busy, previews);
    else if (busy.parentNode) busy.parentNode.removeChild(busy);
  }

  // ---- errors next to their fields ----------------------------------------------------------
  var summary = document.getElementById("form-errors");

  function errorEl(name) { return form.querySelector('[data-error-for="' + name + '"]'); }
  function showError(name, text) {
    var target = errorEl(name);
    if (!target) return;
    target.textContent = text;
    var section = target.closest(".step");
    if (section) section.classList.add("has-error");
  }
  function clearError(name) {
    var target = errorEl(name);
    if (!target) return;
    target.textContent = "";
    var section = target.closest(".step");
    if (section && !section.querySelector(".field-error:not(:empty)")) section.classList.remove("has-error");
  }
  function showErrors(body) {
    form.querySelectorAll("[data-error-for]").forEach(function (node) { clearError(node.dataset.errorFor); });
    var errors = body.errors || {};
    Object.keys(errors).forEach(function (name) { showError(name, errors[name].join(" ")); });
    summary.replaceChildren(el("p", {}, body.message || T.fixErrors));
    summary.hidden = false;
    var first = form.querySelector(".step.has-error") || summary;
    (Object.keys(errors).length ? first : summary).scrollIntoView({ block: "start", behavior: "smooth" });
  }

  // ---- sending ------------------------------------------------------------------------------
  var submit = document.getElementById("submit-report");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = new FormData(form);
    body.delete("photos");
    photos.forEach(function (p) { body.append("photos", p.blob, p.name); });
    submit.disabled = true;
    var label = submit.textContent;
    submit.textContent = T.sending;
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) {
        return r.json().catch(function () { return { ok: false, message: T.failed }; });
      })
      .then(function (result) {
        if (result.ok && result.redirect) { window.location.assign(result.redirect); return; }
        showErrors(result);
        submit.disabled = false;
        submit.textContent = label;
      })
      .catch(function () {
        showErrors({ message: T.failed });
        submit.disabled = false;
        submit.textContent = label;
      });
  });
})();
