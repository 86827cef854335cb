{% autoescape off %}// 城管通 service worker (served from /m/sw.js, scope /m/), shell version {{ version }}.
// Keeps the app shell (its pages, styles, scripts, icons and the vendor libraries) so the
// app opens without a network. Reports are not sent from here: the pages keep them in
// IndexedDB and send them when the network returns.
"use strict";

var VERSION = "{{ version }}";
var CACHE = "yiwang-m-" + VERSION;
var SHELL = {{ shell }};
var PAGES = {{ pages }};
var TYPES_URL = {{ types_url }};
var STATIC_PREFIX = {{ static_prefix }};
// A page that does not answer within this time is taken from the cache (weak signal).
var NETWORK_TIMEOUT_MS = 6000;

function cacheable(response) {
  // Never keep a login page, an error or a redirect in place of the app's page.
  return response && response.ok && response.type === "basic" && !response.redirected;
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      var statics = SHELL.filter(function (url) { return PAGES.indexOf(url) < 0; });
      return cache.addAll(statics).then(function () {
        // The pages need the session: fetched with it, kept only when they are the pages.
        return Promise.all(PAGES.concat([TYPES_URL]).map(function (url) {
          return fetch(url, { credentials: "same-origin", cache: "no-store" })
            .then(function (response) { if (cacheable(response)) return cache.put(url, response); })
            .catch(function () { /* fetched again the next time the app is online */ });
        }));
      });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("yiwang-m-") === 0 && key !== CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (err) { clearTimeout(timer); reject(err); });
  });
}

// Network first (fresh page, fresh session); the kept copy when there is no network.
function networkFirst(request, key, fallbackKey) {
  return withTimeout(fetch(request), NETWORK_TIMEOUT_MS).then(function (response) {
    if (cacheable(response)) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function (err) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(key).then(function (hit) {
        if (hit) return hit;
        if (fallbackKey) return cache.match(fallbackKey).then(function (page) {
          if (page) return page;
          throw err;
        });
        throw err;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname;
  if (request.mode === "navigate") {
    // Only the shell pages are kept, and only without a query (a notice is not the shell).
    if (PAGES.indexOf(path) >= 0 && !url.search) {
      event.respondWith(networkFirst(request, path, PAGES[0]));
    } else if (path.indexOf(PAGES[0]) === 0) {
      // Another page of the app (a task, a page with a notice): the network, else the
      // kept task list or report page, which say that the network is missing.
      var fallback = path.indexOf(PAGES[1]) === 0 ? PAGES[1] : PAGES[0];
      event.respondWith(fetch(request).catch(function () {
        return caches.open(CACHE).then(function (cache) { return cache.match(fallback); })
          .then(function (page) { return page || Response.error(); });
      }));
    }
    return;
  }
  if (path === TYPES_URL) {
    event.respondWith(networkFirst(request, path, null));
    return;
  }
  if (path.indexOf(STATIC_PREFIX) === 0 && SHELL.indexOf(path) >= 0) {
    // The shell's static files change only with a new worker (a new version): cache first.
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(path).then(function (hit) { return hit || fetch(request); });
    }));
  }
});
{% endautoescape %}
