// The upload queue: every file sent from a page goes here first (IndexedDB, through
// pwa_store.js, so it survives a reload and closing the app), then up with tus
// (resumable: a file cut by the network goes on from where it stopped). One queue for the
// whole site: the Documents panel shows its own files, every other file waiting is shown
// in the queue panel of the page, with a badge in the top bar. Without this script (or
// without IndexedDB) the pages' plain forms and their own upload script still work.
(function () {
  "use strict";

  var Store = window.ComptoirStore;
  if (!Store || !window.tus || !window.tus.isSupported || !window.indexedDB) return;

  var CHUNK_SIZE = 8 * 1024 * 1024;
  var PARALLEL = 2;
  var records = {};   // id → record (this page's view of the queue)
  var rows = {};      // id → {li, bar, status}
  var running = {};   // id → true while this page sends it
  var listeners = [];
  var root = null;

  function msg(key) {
    return (root && root.getAttribute("data-msg-" + key)) || key;
  }

  // Whose queue this is: a browser shared by two people never shows (nor sends) one
  // person's files in the other's session.
  function currentUser() {
    return (root && root.getAttribute("data-queue-user")) || "";
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function endpoint(target) {
    return "/d/" + encodeURIComponent(target.slug) + "/tus/";
  }

  function metadata(record) {
    var meta = { filename: record.name, filetype: record.type || "" };
    var target = record.target;
    if (target.task) {
      meta.task = String(target.task);
      if (target.step) meta.step = String(target.step);
    } else if (target.folder) {
      meta.folder = String(target.folder);
    }
    return meta;
  }

  // --- What the person sees -----------------------------------------------------------

  function listFor(record) {
    var target = record.target;
    var panels = document.querySelectorAll("[data-upload]");
    for (var i = 0; i < panels.length; i++) {
      var config = JSON.parse(panels[i].getAttribute("data-upload"));
      if (!target.task && config.tus === endpoint(target) &&
          String(config.folder || "") === String(target.folder || "")) {
        return panels[i].querySelector("[data-upload-list]");
      }
    }
    return root && root.querySelector("[data-queue-list]");
  }

  function button(label, action, id) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "button button-small button-secondary";
    element.textContent = label;
    element.setAttribute("data-queue-action", action);
    element.setAttribute("data-queue-id", id);
    return element;
  }

  function render(record) {
    var row = rows[record.id];
    if (!row) {
      var list = listFor(record);
      if (!list) return;
      var li = document.createElement("li");
      li.className = "upload-item";
      var name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = record.name;
      var where = document.createElement("span");
      where.className = "help";
      where.textContent = record.target.label || "";
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", msg("progress") + " " + record.name);
      var status = document.createElement("span");
      status.className = "upload-status";
      status.setAttribute("role", "status");
      li.append(name, where, bar, status);
      list.appendChild(li);
      row = rows[record.id] = { li: li, bar: bar, status: status };
    }
    row.li.classList.toggle("upload-done", record.state === "done");
    row.li.classList.toggle("upload-failed", record.state === "failed");
    row.li.classList.toggle("upload-waiting", record.state === "waiting");
    row.li.setAttribute("data-state", record.state);
    row.bar.value = record.state === "done" ? 100
      : (record.size ? Math.floor(((record.offset || 0) / record.size) * 100) : 0);
    if (record.state === "done") {
      if (record.documentUrl) {
        var link = document.createElement("a");
        link.href = record.documentUrl;
        link.textContent = msg("done");
        row.status.replaceChildren(link);
      } else {
        row.status.textContent = msg("done");
      }
    } else if (record.state === "failed") {
      row.status.replaceChildren(
        document.createTextNode((record.error || msg("failed")) + " "),
        button(msg("retry"), "retry", record.id),
        document.createTextNode(" "),
        button(msg("remove"), "remove", record.id)
      );
    } else if (record.state === "waiting") {
      row.status.textContent = msg("waiting");
    } else {
      row.status.textContent = record.state === "uploading" ? "" : msg("pending");
    }
    summary();
  }

  function summary() {
    var waiting = 0;
    Object.keys(records).forEach(function (id) {
      if (records[id].state !== "done") waiting++;
    });
    document.querySelectorAll("[data-queue-badge]").forEach(function (badge) {
      badge.hidden = waiting === 0;
      var count = badge.querySelector("[data-queue-count]");
      if (count) count.textContent = String(waiting);
      badge.setAttribute("aria-label", msg("badge").replace("{n}", String(waiting)));
    });
    if (root) {
      var list = root.querySelector("[data-queue-list]");
      root.hidden = !list || list.children.length === 0;
    }
  }

  // --- Sending ------------------------------------------------------------------------

  function save(record, changes) {
    Object.keys(changes).forEach(function (key) { record[key] = changes[key]; });
    render(record);
    return Store.update(record.id, changes).catch(function () { return null; });
  }

  function refusal(error) {
    var response = error && error.originalResponse;
    if (!response) return null;  // the network, not the server: wait and go on
    var status = response.getStatus();
    var xhr = response.getUnderlyingObject && response.getUnderlyingObject();
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1) {
      return msg("login");
    }
    if (status === 0) return null;
    var type = (response.getHeader("Content-Type") || "").toLowerCase();
    var body = response.getBody() || "";
    if (type.indexOf("text/plain") === 0 && body && body.length < 500) return body;
    return msg("failed");
  }

  function send(record) {
    return new Promise(function (resolve) {
      var upload = new window.tus.Upload(record.file, {
        endpoint: endpoint(record.target),
        uploadUrl: record.uploadUrl || null,
        chunkSize: CHUNK_SIZE,
        retryDelays: [0, 1000, 3000],
        metadata: metadata(record),
        headers: { "X-CSRFToken": csrfToken() },
        storeFingerprintForResuming: false,
        onUploadUrlAvailable: function () {
          save(record, { uploadUrl: upload.url });
        },
        onProgress: function (sent) {
          record.offset = sent;
          render(record);
        },
        onSuccess: function (payload) {
          var response = payload && payload.lastResponse;
          record.documentUrl = (response && response.getHeader("Comptoir-Document")) || "";
          record.state = "done";
          record.offset = record.size;
          render(record);
          Store.remove(record.id).catch(function () { return null; });
          listeners.forEach(function (listener) { listener(record); });
          resolve();
        },
        onError: function (error) {
          var reason = refusal(error);
          if (reason === null) {
            save(record, { state: "waiting" });
          } else {
            save(record, { state: "failed", error: reason });
          }
          resolve();
        }
      });
      save(record, { state: "uploading", error: "" });
      upload.start();
    });
  }

  function next() {
    var ids = Object.keys(records).filter(function (id) {
      return records[id].state === "pending" && !running[id];
    });
    ids.sort(function (a, b) { return records[a].createdAt - records[b].createdAt; });
    ids.forEach(function (id) {
      if (Object.keys(running).length >= PARALLEL) return;
      running[id] = true;
      var record = records[id];
      var work = function () {
        return send(record).then(function () {
          delete running[id];
          next();
        });
      };
      if (navigator.locks) {
        // Two open pages never send the same file: the other one skips it.
        navigator.locks.request("comptoir-upload-" + id, { ifAvailable: true }, function (lock) {
          if (!lock) {
            delete running[id];
            return null;
          }
          return work();
        });
      } else {
        work();
      }
    });
  }

  function resumeWaiting() {
    Object.keys(records).forEach(function (id) {
      var record = records[id];
      if (record.state === "waiting" || (record.state === "uploading" && !running[id])) {
        record.state = "pending";
        render(record);
      }
    });
    next();
  }

  function add(files, target) {
    var now = Date.now();
    var added = Array.prototype.map.call(files, function (file, index) {
      return {
        id: Store.newId(), user: currentUser(), state: "pending", file: file,
        name: file.name || "document",
        type: file.type || "", size: file.size, offset: 0, target: target,
        createdAt: now + index
      };
    });
    return Store.put(added).then(function () {
      added.forEach(function (record) {
        records[record.id] = record;
        render(record);
      });
      next();
      return added;
    });
  }

  function load() {
    return Store.all().then(function (stored) {
      stored.forEach(function (record) {
        if (record.state === "shared" || record.state === "done") return;
        if (record.user !== currentUser()) return;
        if (record.state === "uploading") record.state = "pending";  // its page was closed
        records[record.id] = record;
        render(record);
      });
      if (navigator.onLine) resumeWaiting();
      next();
    });
  }

  document.addEventListener("click", function (event) {
    var element = event.target instanceof Element && event.target.closest("[data-queue-action]");
    if (!element) return;
    var record = records[element.getAttribute("data-queue-id")];
    if (!record) return;
    if (element.getAttribute("data-queue-action") === "retry") {
      save(record, { state: "pending", error: "" }).then(next);
    } else {
      Store.remove(record.id).catch(function () { return null; });
      delete records[record.id];
      if (rows[record.id]) rows[record.id].li.remove();
      delete rows[record.id];
      summary();
    }
  });
  window.addEventListener("online", resumeWaiting);

  // A task's or a step's upload form (data-queue-task): its files join the queue instead
  // of one multipart request; once they are all in, the page reloads to list them.
  var formTargets = [];
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-queue-task")) return;
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.push.apply(files, input.files);
    });
    if (!files.length) return;  // the server says what is missing
    event.preventDefault();
    var target = {
      slug: form.getAttribute("data-queue-slug"),
      task: form.getAttribute("data-queue-task"),
      step: form.getAttribute("data-queue-step") || "",
      label: form.getAttribute("data-queue-label") || ""
    };
    formTargets.push(target);
    add(files, target).then(function () {
      form.querySelectorAll("input[type=file]").forEach(function (input) { input.value = ""; });
    });
  });
  listeners.push(function (record) {
    var mine = function (r) {
      return formTargets.some(function (t) {
        return r.target.slug === t.slug && String(r.target.task) === String(t.task) &&
          String(r.target.step || "") === String(t.step || "");
      });
    };
    if (!mine(record)) return;
    var left = Object.keys(records).some(function (id) {
      return records[id].state !== "done" && mine(records[id]);
    });
    if (!left) window.location.reload();
  });

  window.ComptoirQueue = {
    add: add,
    onDone: function (listener) { listeners.push(listener); },
    // Files shared from another app (kept by the service worker), now with a destination.
    take: function (shared, target) {
      return Promise.all(shared.map(function (record) {
        return Store.update(record.id, {
          state: "pending", target: target, offset: 0, user: currentUser()
        });
      })).then(function (updated) {
        updated.forEach(function (record) {
          if (!record) return;
          records[record.id] = record;
          render(record);
        });
        next();
      });
    },
    pending: function (filter) {
      return Object.keys(records).map(function (id) { return records[id]; }).filter(function (r) {
        return r.state !== "done" && (!filter || filter(r));
      });
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    root = document.querySelector("[data-upload-queue]");
    load().catch(function () { return null; });
  });
})();
