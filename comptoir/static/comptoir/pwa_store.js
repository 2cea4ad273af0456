// The files waiting on this device, in IndexedDB: shared from another app (state
// "shared", until a destination is chosen), then queued ("pending", "uploading",
// "failed", "done"). Used by the pages (pwa_queue.js, share.js) and the service worker
// (importScripts), so one schema lives here.
(function (scope) {
  "use strict";

  var DB_NAME = "comptoir";
  var STORE = "files";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("batch", "batch");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        Promise.resolve(work(tx.objectStore(STORE))).then(function (value) { result = value; });
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function requested(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function newId() {
    var bytes = new Uint8Array(12);
    scope.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  scope.ComptoirStore = {
    newId: newId,
    put: function (records) {
      return run("readwrite", function (store) {
        records.forEach(function (record) { store.put(record); });
      });
    },
    update: function (id, changes) {
      return run("readwrite", function (store) {
        return requested(store.get(id)).then(function (record) {
          if (!record) return null;
          Object.keys(changes).forEach(function (key) { record[key] = changes[key]; });
          store.put(record);
          return record;
        });
      });
    },
    remove: function (id) {
      return run("readwrite", function (store) { store.delete(id); });
    },
    all: function () {
      return run("readonly", function (store) { return requested(store.getAll()); });
    },
    batch: function (batch) {
      return run("readonly", function (store) {
        return requested(store.index("batch").getAll(batch));
      });
    }
  };
})(self);
