// 城管通: what every page of the phone app shares — the service worker, the network banner,
// the report queue in IndexedDB and the sender that empties it when the network is there.
//
// A report is stored here first, with a UUID made on the phone, and only then sent. The
// server files one case per UUID, so sending again (no answer, a reload, a second tab, a
// login in between) never makes a second case. Photos follow once the case exists; the
// same photo twice is one photo on the server.
(function () {
  "use strict";

  var cfgEl = document.getElementById("phone-config");
  if (!cfgEl) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.labels;

  var DB_NAME = "yiwang-phone";
  var STORE = "reports";
  var KEEP_SENT = 20; // sent reports listed under 最近已发送
  var RETRY_MS = 30000;

  var listeners = [];
  var busy = {}; // report id → true while this page is sending it
  var flushing = false;
  var retryTimer = null;

  // ---- IndexedDB -----------------------------------------------------------------------

  var dbPromise = null;
  function db() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no indexedDB")); return; }
      var open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = function () {
        var store = open.result.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("createdAt", "createdAt");
      };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
    return dbPromise;
  }

  function tx(mode, work) {
    return db().then(function (conn) {
      return new Promise(function (resolve, reject) {
        var t = conn.transaction(STORE, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
        result = work(t.objectStore(STORE));
        if (result && "onsuccess" in result) {
          var req = result;
          req.onsuccess = function () { result = req.result; };
        }
      });
    });
  }

  var store = {
    put: function (item) { return tx("readwrite", function (s) { s.put(item); }); },
    get: function (id) { return tx("readonly", function (s) { return s.get(id); }); },
    remove: function (id) { return tx("readwrite", function (s) { s.delete(id); }); },
    all: function () {
      return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
        return (items || []).sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : 1; });
      });
    },
  };

  function changed() {
    listeners.forEach(function (fn) { try { fn(); } catch (e) { /* one view's error */ } });
    updateTabCount();
  }

  // ---- helpers ---------------------------------------------------------------------------

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  function csrfToken() {
    // Read at every send: signing in again gives a new token.
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }

  // A photo as the phone's camera made it is several megabytes: send at most
  // photoMaxSide pixels on the longest side as JPEG (which also drops EXIF and its GPS tags).
  function resize(file) {
    var side = cfg.photoMaxSide || 1600;
    var decode = window.createImageBitmap
      ? createImageBitmap(file, { imageOrientation: "from-image" })
      : Promise.reject(new Error("no createImageBitmap"));
    return decode.then(function (bitmap) {
      var scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // transparent PNG areas become white, not black
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) resolve(blob); else reject(new Error("toBlob failed"));
        }, "image/jpeg", 0.85);
      });
    });
  }

  // ---- banners ---------------------------------------------------------------------------

  var netEl = document.getElementById("net-status");
  var loginEl = document.getElementById("login-needed");

  function showNetwork() {
    if (!netEl) return;
    netEl.hidden = navigator.onLine;
    netEl.textContent = navigator.onLine ? "" : T.offline;
  }

  function showLoginNeeded() {
    if (!loginEl || !loginEl.hidden) return;
    loginEl.replaceChildren();
    var text = document.createElement("span");
    text.textContent = T.loginNeeded + " ";
    var link = document.createElement("a");
    link.href = cfg.loginUrl;
    link.className = "button";
    link.id = "login-link";
    link.textContent = T.login;
    loginEl.append(text, link);
    loginEl.hidden = false;
  }

  function updateTabCount() {
    var el = document.getElementById("tab-queue-count");
    if (!el) return;
    store.all().then(function (items) {
      var n = items.filter(function (i) { return i.status !== "done"; }).length;
      el.textContent = n ? String(n) : "";
      el.hidden = !n;
    }).catch(function () { el.hidden = true; });
  }

  // ---- sending ---------------------------------------------------------------------------

  function LoginNeeded() {}
  function Offline() {}

  function post(url, body, isJson) {
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    if (isJson) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: "POST", credentials: "same-origin", headers: headers,
      body: isJson ? JSON.stringify(body) : body,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        var code = data && data.code;
        if (response.status === 401 || code === "csrf_failed" || code === "unauthenticated") {
          throw new LoginNeeded();
        }
        // The network is there but the server is not well: try again later.
        if (response.status >= 500 || response.status === 429) throw new Offline();
        return { status: response.status, ok: response.ok, body: data || {} };
      });
    }, function () { throw new Offline(); });
  }

  function reportBody(item) {
    return {
      id: item.id, kind: item.kind, type_code: item.typeCode, lon: item.lon, lat: item.lat,
      description: item.description || "", urgent: !!item.urgent,
      accuracy_m: typeof item.accuracy === "number" ? Math.min(item.accuracy, 100000) : null,
      captured_at: item.createdAt, user_id: item.userId,
    };
  }

  function sendReport(item) {
    return post(cfg.reportsUrl, reportBody(item), true).then(function (r) {
      if (r.ok) {
        item.number = r.body.number;
        item.status = "filed";
        item.error = "";
      } else if (r.body.code === "other_user") {
        item.error = T.otherUser;
        return store.put(item).then(function () { throw new Offline(); });
      } else {
        item.status = "refused";
        item.error = r.body.message || ("HTTP " + r.status);
      }
      return store.put(item);
    });
  }

  function sendPhotos(item) {
    var photos = item.photos || [];
    var chain = Promise.resolve();
    photos.forEach(function (photo, index) {
      if (photo.state === "sent" || photo.state === "refused") return;
      chain = chain.then(function () {
        var form = new FormData();
        form.append("file", photo.blob, "photo-" + (index + 1) + ".jpg");
        return post(cfg.photosUrl.replace("REPORT_ID", item.id), form, false).then(function (r) {
          photo.state = r.ok ? "sent" : "refused";
          photo.error = r.ok ? "" : (r.body.message || ("HTTP " + r.status));
          photo.blob = null; // sent or refused: the phone need not keep the picture
          return store.put(item).then(changed);
        });
      });
    });
    return chain.then(function () {
      item.status = "done";
      item.doneAt = new Date().toISOString();
      return store.put(item);
    });
  }

  function sendOne(item) {
    busy[item.id] = true;
    changed();
    var step = item.status === "queued" ? sendReport(item) : Promise.resolve();
    return step.then(function () {
      changed();
      if (item.status === "filed") return sendPhotos(item);
    }).finally(function () {
      delete busy[item.id];
      changed();
    });
  }

  function pruneSent(items) {
    var sent = items.filter(function (i) { return i.status === "done"; });
    var old = sent.slice(0, Math.max(0, sent.length - KEEP_SENT));
    return Promise.all(old.map(function (i) { return store.remove(i.id); }));
  }

  function flushNow() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    flushing = true;
    return store.all().then(function (items) {
      var mine = items.filter(function (i) {
        return i.userId === cfg.userId && (i.status === "queued" || i.status === "filed");
      });
      var chain = Promise.resolve();
      mine.forEach(function (item) { chain = chain.then(function () { return sendOne(item); }); });
      return chain.then(function () {
        if (loginEl) loginEl.hidden = true;
        return pruneSent(items);
      });
    }).catch(function (err) {
      if (err instanceof LoginNeeded) showLoginNeeded();
      else if (!(err instanceof Offline)) throw err;
      scheduleRetry();
    }).finally(function () {
      flushing = false;
      changed();
    });
  }

  // One tab sends at a time (the server would file once anyway; this saves the requests).
  function flush() {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("yiwang-phone-send", { ifAvailable: true }, function (lock) {
        return lock ? flushNow() : null;
      });
    }
    return flushNow();
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { flush(); }, RETRY_MS);
  }

  function save(item) {
    item.id = item.id || uuid();
    item.userId = cfg.userId;
    item.createdAt = item.createdAt || new Date().toISOString();
    item.status = "queued";
    return store.put(item).then(function () { changed(); return item; });
  }

  // ---- start -----------------------------------------------------------------------------

  if ("serviceWorker" in navigator && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.scope }).catch(function () {
      /* the app still works online without it */
    });
  }
  window.addEventListener("online", function () { showNetwork(); flush(); });
  window.addEventListener("offline", showNetwork);
  showNetwork();
  updateTabCount();

  window.yiwangPhone = {
    cfg: cfg,
    labels: T,
    format: format,
    store: store,
    save: save,
    flush: flush,
    resize: resize,
    isBusy: function (id) { return !!busy[id]; },
    onChange: function (fn) { listeners.push(fn); },
  };

  // Retry on app start: whatever was left from last time goes now.
  flush();
})();
