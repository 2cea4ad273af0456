/* Comptoir's service worker (scope "/"): the offline page, static files, and the share
   target. Shared files are kept in IndexedDB before any network call, so nothing is lost
   offline or with an expired session; the page "Ranger les documents" takes them from
   there. Release {{ version }}. */
"use strict";
var CONFIG = {{ config|safe }};
var CACHE = "comptoir-{{ version }}";
importScripts(CONFIG.store);

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll([CONFIG.offlineUrl].concat(CONFIG.assets));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("comptoir-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function shareReceive(request) {
  return request.formData().then(function (form) {
    var batch = self.ComptoirStore.newId();
    var now = Date.now();
    var records = form.getAll("files").filter(function (file) {
      return typeof file !== "string";
    }).map(function (file) {
      return {
        id: self.ComptoirStore.newId(), batch: batch, state: "shared", file: file,
        name: file.name || "document", type: file.type || "", size: file.size, createdAt: now
      };
    });
    return self.ComptoirStore.put(records).then(function () {
      return Response.redirect(CONFIG.shareUrl + "?batch=" + batch, 303);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === CONFIG.shareUrl) {
    event.respondWith(shareReceive(request));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      return caches.match(CONFIG.offlineUrl);
    }));
    return;
  }
  if (url.pathname.indexOf(CONFIG.staticUrl) === 0) {
    event.respondWith(caches.match(request).then(function (cached) {
      return cached || fetch(request);
    }));
  }
});
