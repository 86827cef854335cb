// 城管通 任务: the inspector's verify and check tasks, nearest first from where the phone is.
(function () {
  "use strict";

  var P = window.yiwangPhone;
  var listEl = document.getElementById("task-list");
  if (!P || !listEl) return;
  var cfg = P.cfg;
  var T = P.labels;
  var orderEl = document.getElementById("tasks-order");
  var position = null;

  function load() {
    if (!navigator.onLine) {
      listEl.replaceChildren(Object.assign(document.createElement("p"),
        { className: "hint", id: "tasks-offline", textContent: T.tasksOffline }));
      listEl.setAttribute("aria-busy", "false");
      return;
    }
    var url = cfg.tasksListUrl;
    if (position) url += "?lon=" + position.lon.toFixed(7) + "&lat=" + position.lat.toFixed(7);
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (r.redirected || r.status === 401 || r.status === 403) {
        window.location.href = cfg.loginUrl.replace(encodeURIComponent(cfg.scope), encodeURIComponent(window.location.pathname));
        return null;
      }
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html === null) return;
      listEl.innerHTML = html; // the server's own fragment
      listEl.setAttribute("aria-busy", "false");
      orderEl.textContent = position ? T.tasksByDistance : T.tasksByDue;
    }).catch(function () {
      listEl.replaceChildren(Object.assign(document.createElement("p"),
        { className: "hint", textContent: T.tasksOffline }));
    });
  }

  function locate() {
    if (!navigator.geolocation) { load(); return; }
    navigator.geolocation.getCurrentPosition(
      function (pos) { position = { lon: pos.coords.longitude, lat: pos.coords.latitude }; load(); },
      function () { load(); },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }

  window.addEventListener("online", load);
  locate();
})();
