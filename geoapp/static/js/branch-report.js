/* A branch's report of one of its five days, sent from a phone.

   Each report is first kept on the phone (IndexedDB, with its photos), then sent; it leaves the
   phone only when the server has it. Without a signal it waits, the form says so, and it is sent
   as soon as the phone is online again (or the page is next opened). Each report carries a key of
   its own, so a report the server got but whose answer was lost is not stored twice. */
(function () {
  "use strict";
  var form = document.querySelector(".activity-form");
  if (!form || !window.indexedDB || !window.fetch) return;  // the plain form still works
  var status = form.querySelector(".report-status");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var user = form.dataset.user;
  var DB = "geoapp-reports", STORE = "waiting", SENT = "geoapp-report-sent";
  var sending = false;

  function say(text) { status.textContent = text; }

  function database() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }

  function mine() {
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (all) {
      return (all || []).filter(function (entry) { return entry.user === user; });
    });
  }

  function forget(key) { return withStore("readwrite", function (store) { return store.delete(key); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var hex = "";
    for (var i = 0; i < 32; i++) hex += Math.floor(Math.random() * 16).toString(16);
    return hex;
  }

  function send(entry) {
    var body = new FormData();
    Object.keys(entry.fields).forEach(function (name) { body.append(name, entry.fields[name]); });
    body.append("client_key", entry.key);
    entry.files.forEach(function (file) { body.append("photo", file, file.name); });
    return fetch(entry.url, { method: "POST", body: body, credentials: "same-origin",
                              headers: { "X-CSRFToken": csrf, "Accept": "application/json" } });
  }

  function reasonOf(response) {
    return response.json().then(function (data) { return data.message || response.statusText; },
                                 function () { return response.statusText; });
  }

  function showWaiting() {
    return mine().then(function (waiting) {
      if (waiting.length) say(form.dataset.waiting.replace("{n}", waiting.length));
      return waiting;
    });
  }

  /* Send what waits, oldest first; stop at the first that cannot go now. */
  function flush() {
    if (sending) return Promise.resolve();
    sending = true;
    var sent = 0;
    return mine().then(function (waiting) {
      waiting.sort(function (a, b) { return a.made - b.made; });
      var chain = Promise.resolve(true);
      waiting.forEach(function (entry) {
        chain = chain.then(function (goOn) {
          if (!goOn) return false;
          say(form.dataset.sending);
          return send(entry).then(function (response) {
            if (response.ok) { sent += 1; return forget(entry.key).then(function () { return true; }); }
            if (response.status === 401) { say(form.dataset.login); return false; }
            if (response.status >= 500) return false;             // the server's trouble: it waits
            return reasonOf(response).then(function (reason) {  // it will never pass: say why
              return forget(entry.key).then(function () {
                say(form.dataset.failed.replace("{reason}", reason));
                return "refused";
              });
            });
          }, function () { return false; });                      // no signal: it waits
        });
      });
      return chain;
    }).then(function (last) {
      sending = false;
      if (sent) {
        sessionStorage.setItem(SENT, form.dataset.sent);
        location.reload();                                        // the page with the report in it
      } else if (last !== "refused") {
        return showWaiting();
      }
    }, function () { sending = false; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity()) return;
    var data = new FormData(form);
    var fields = {};
    ["kind", "date", "topic_zh", "attendance", "minutes"].forEach(function (name) { fields[name] = data.get(name) || ""; });
    var files = data.getAll("photo").filter(function (file) { return file && file.size; });
    var entry = { key: newKey(), user: user, url: form.action, made: Date.now(), fields: fields, files: files };
    withStore("readwrite", function (store) { return store.put(entry); }).then(function () {
      form.reset();
      return flush();
    });
  });

  window.addEventListener("online", flush);
  var done = sessionStorage.getItem(SENT);
  if (done) { sessionStorage.removeItem(SENT); say(done); }
  flush();
})();
