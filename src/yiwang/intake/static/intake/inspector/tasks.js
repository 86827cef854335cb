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
  // The last list the server sent, per account: shown (read-only) when the phone is offline.
  var SAVED = "yiwang-m-tasks-" + cfg.userId;

  function notice(text) {
    return Object.assign(document.createElement("p"),
      { className: "hint", id: "tasks-offline", textContent: text });
  }

  function showSaved() {
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(SAVED) || "null"); } catch (e) { saved = null; }
    if (!saved || typeof saved.html !== "string") {
      listEl.replaceChildren(notice(T.tasksOffline));
    } else {
      var at = new Date(saved.at);
      var hhmm = ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
      listEl.innerHTML = saved.html; // the server's own fragment, as it was sent
      listEl.insertBefore(notice(T.tasksSaved.replace("%(time)s", hhmm)), listEl.firstChild);
    }
    listEl.setAttribute("aria-busy", "false");
  }

  function load() {
    if (!navigator.onLine) {
      showSaved();
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
      try {
        window.localStorage.setItem(SAVED, JSON.stringify({ html: html, at: Date.now() }));
      } catch (e) { /* a full or disabled storage: the list just is not kept */ }
      orderEl.textContent = position ? T.tasksByDistance : T.tasksByDue;
    }).catch(function () {
      showSaved();
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
