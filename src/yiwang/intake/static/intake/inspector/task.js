// 城管通 one task: where it is, and the move forms whose photos are made small on the phone
// before the form is sent (an ordinary form post: it works without this script too).
(function () {
  "use strict";

  var P = window.yiwangPhone;
  if (!P) return;
  var T = P.labels;

  var mapEl = document.getElementById("task-map");
  if (mapEl && window.L) {
    var lat = parseFloat(mapEl.dataset.lat), lon = parseFloat(mapEl.dataset.lon);
    var map = L.map(mapEl, { zoomControl: true, attributionControl: false }).setView([lat, lon], 17);
    if (P.cfg.tileUrl) L.tileLayer(P.cfg.tileUrl, { maxZoom: 20 }).addTo(map);
    L.marker([lat, lon], {
      icon: L.divIcon({ className: "phone-pin", iconSize: [22, 22], iconAnchor: [11, 11] }),
      interactive: false,
    }).addTo(map);
    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        L.circleMarker([pos.coords.latitude, pos.coords.longitude],
          { radius: 7, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 1 }).addTo(map);
      }, function () { /* the task's place alone */ }, { maximumAge: 60000, timeout: 10000 });
    }
  }

  var max = P.cfg.maxPhotos || 5;

  document.querySelectorAll("input.resize-photos").forEach(function (input) {
    var previews = input.parentNode.querySelector(".photo-previews");
    var form = input.form;
    var working = null;

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []).slice(0, max);
      if (!files.length || !window.DataTransfer) return;
      var done = Promise.all(files.map(function (file, i) {
        return P.resize(file).then(function (blob) {
          return new File([blob], "photo-" + (i + 1) + ".jpg", { type: "image/jpeg" });
        }, function () { return file; }); // the server checks what it gets
      })).then(function (small) {
        var dt = new DataTransfer();
        small.forEach(function (f) { dt.items.add(f); });
        input.files = dt.files;
        previews.replaceChildren();
        small.forEach(function (f, i) {
          var li = document.createElement("li");
          var img = document.createElement("img");
          img.src = URL.createObjectURL(f);
          img.alt = T.photos + " " + (i + 1);
          li.appendChild(img);
          previews.appendChild(li);
        });
      });
      working = done;
    });

    form.addEventListener("submit", function (e) {
      var button = form.querySelector("button[type=submit]");
      if (working) {
        // Wait for the photos to be made small, then send once.
        e.preventDefault();
        var pending = working;
        working = null;
        pending.then(function () { button.disabled = true; form.submit(); });
        return;
      }
      button.disabled = true; // one tap, one post (a second would be refused as stale anyway)
    });
  });
})();
