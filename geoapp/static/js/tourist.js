/* What both tourist pages share: the service worker that keeps them for a road without signal
 * (static/js/sw.js), the stays saved on this phone (localStorage), and the notice that says the
 * phone is offline. */
(function () {
  "use strict";
  var KEY = "geoapp.savedStays";

  function saved() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }

  function save(stay) {
    var all = saved();
    stay.saved_at = Date.now();
    all[stay.id] = stay;
    window.localStorage.setItem(KEY, JSON.stringify(all));
    // keep its page for the road: the worker's cache holds it even if it was not opened again
    if (window.caches) window.caches.open("geoapp-pages").then(function (cache) { return cache.add(stay.url); })
      .catch(function () { /* no room or no network now: it is kept when next opened */ });
  }

  function forget(id) {
    var all = saved();
    delete all[id];
    window.localStorage.setItem(KEY, JSON.stringify(all));
  }

  function offlineNotice() {
    var notice = document.getElementById("offline-notice");
    if (!notice) return;
    var show = function () { notice.hidden = navigator.onLine !== false; };
    window.addEventListener("online", show);
    window.addEventListener("offline", show);
    show();
  }

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").then(function () {
        document.documentElement.dataset.worker = "registered";
      }).catch(function () { document.documentElement.dataset.worker = "failed"; });
    });
  }
  offlineNotice();
  window.geoappTourist = {saved: saved, save: save, forget: forget};
})();
