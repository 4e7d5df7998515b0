/* The tourist pages without a signal (a mountain road): a service worker that keeps what was
 * already seen — the farm-stay pages and list answers (network first, the kept copy when there is
 * no network), the content-hashed scripts and styles (kept, they never change), photos (kept) —
 * each in a bounded cache, the oldest dropped first. Only same-site GETs of those kinds; every
 * other request (the office's pages, logins, writes) goes to the network untouched. */
"use strict";
var LIMITS = {"geoapp-pages": 40, "geoapp-api": 40, "geoapp-static": 80, "geoapp-photos": 60};
var HASHED = /\.[0-9a-f]{10}\.[A-Za-z0-9]+$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function trim(name) {
  return caches.open(name).then(function (cache) {
    return cache.keys().then(function (keys) {
      var extra = keys.length - LIMITS[name];
      return Promise.all(keys.slice(0, Math.max(0, extra)).map(function (key) { return cache.delete(key); }));
    });
  });
}

function keep(name, request, response) {
  if (!response || !response.ok || response.type !== "basic") return response;
  var copy = response.clone();
  caches.open(name).then(function (cache) { return cache.put(request, copy); }).then(function () { return trim(name); });
  return response;
}

function networkFirst(name, request) {
  return fetch(request).then(function (response) { return keep(name, request, response); }, function () {
    return caches.open(name).then(function (cache) {
      return cache.match(request).then(function (found) {
        if (found) return found;
        if (request.mode === "navigate") {  // a search not seen before: the last list kept, else the error
          return cache.match(new URL("/farmstays", self.location.origin).href, {ignoreSearch: true})
            .then(function (any) { return any || Response.error(); });
        }
        return Response.error();
      });
    });
  });
}

function cacheFirst(name, request) {
  return caches.open(name).then(function (cache) {
    return cache.match(request).then(function (found) {
      return found || fetch(request).then(function (response) { return keep(name, request, response); });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  var path = url.pathname;
  if (path.indexOf("/static/") === 0) {
    event.respondWith(HASHED.test(path) ? cacheFirst("geoapp-static", request) : networkFirst("geoapp-static", request));
  } else if (path.indexOf("/photos/") === 0) {
    event.respondWith(cacheFirst("geoapp-photos", request));
  } else if (path === "/farmstays" || path.indexOf("/farmstays/") === 0) {
    event.respondWith(networkFirst("geoapp-pages", request));
  } else if (path.indexOf("/api/farmstays") === 0) {
    event.respondWith(networkFirst("geoapp-api", request));
  }
});
