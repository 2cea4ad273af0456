// Uploads with a progress bar per file. Without this script the form posts all files at once.
// With the upload queue (pwa_queue.js: IndexedDB + tus, resumable) files go through it;
// without it (no IndexedDB), one multipart request per file as before.
(function () {
  "use strict";

  function text(panel, key) {
    return panel.getAttribute("data-msg-" + key) || key;
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " o";
    var units = ["Ko", "Mo", "Go"];
    var value = bytes / 1024;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return value.toFixed(value < 10 ? 1 : 0).replace(".", ",") + " " + units[unit];
  }

  function setup(panel) {
    var config = JSON.parse(panel.getAttribute("data-upload"));
    var form = panel.querySelector("form.upload-form");
    var list = panel.querySelector("[data-upload-list]");
    var zone = panel.querySelector("[data-dropzone]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var queue = [];
    var running = 0;
    var uploaded = 0;

    function row(file) {
      var li = document.createElement("li");
      li.className = "upload-item";
      var name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      var size = document.createElement("span");
      size.className = "help";
      size.textContent = formatSize(file.size);
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", text(panel, "progress") + " " + file.name);
      var status = document.createElement("span");
      status.className = "upload-status";
      status.setAttribute("role", "status");
      li.append(name, size, bar, status);
      list.appendChild(li);
      return { li: li, bar: bar, status: status };
    }

    function fail(item, message) {
      item.li.classList.add("upload-failed");
      item.bar.remove();
      item.status.textContent = message;
    }

    function next() {
      while (running < 2 && queue.length) {
        send(queue.shift());
      }
      if (!running && !queue.length && uploaded) {
        // Everything sent: refresh the list of documents; it then refreshes itself until
        // the thumbnails made in the background are there.
        uploaded = 0;
        if (window.htmx && document.getElementById("documents-section")) {
          window.htmx.ajax("GET", window.location.href, {
            target: "#documents-section", select: "#documents-section", swap: "outerHTML"
          });
        } else {
          window.location.reload();
        }
      }
    }

    function send(job) {
      var item = job.item;
      var file = job.file;
      if (file.size > config.maxBytes) {
        fail(item, text(panel, "too-large"));
        return next();
      }
      running++;
      var data = new FormData();
      data.append("files", file, file.name);
      data.append("folder", config.folder);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", config.url);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) item.bar.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", function () {
        running--;
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (xhr.status === 201 && answer && answer.ok) {
          uploaded++;
          item.bar.value = 100;
          item.li.classList.add("upload-done");
          var link = document.createElement("a");
          link.href = answer.documents[0].url;
          link.textContent = text(panel, "done");
          item.status.replaceChildren(link);
        } else {
          fail(item, (answer && answer.error) || text(panel, "failed"));
        }
        next();
      });
      xhr.addEventListener("error", function () {
        running--;
        fail(item, text(panel, "failed"));
        next();
      });
      xhr.send(data);
    }

    function add(files) {
      if (window.ComptoirQueue) return addToQueue(files);
      Array.prototype.forEach.call(files, function (file) {
        queue.push({ file: file, item: row(file) });
      });
      next();
    }

    function addToQueue(files) {
      var accepted = [];
      Array.prototype.forEach.call(files, function (file) {
        if (file.size > config.maxBytes) {
          fail(row(file), text(panel, "too-large"));  // refused before anything is sent
        } else {
          accepted.push(file);
        }
      });
      if (!accepted.length) return;
      window.ComptoirQueue.add(accepted, {
        slug: config.slug, folder: config.folder || "", label: config.label
      });
    }

    function sameTarget(record) {
      return !record.target.task && record.target.slug === config.slug &&
        String(record.target.folder || "") === String(config.folder || "");
    }

    if (window.ComptoirQueue) {
      window.ComptoirQueue.onDone(function (record) {
        if (!sameTarget(record)) return;
        uploaded++;
        if (!window.ComptoirQueue.pending(sameTarget).length) next();
      });
    }

    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input instanceof HTMLInputElement && input.type === "file" && input.files.length) {
        add(input.files);
        input.value = "";
      }
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("dropzone-active");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) add(event.dataTransfer.files);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-upload]").forEach(setup);
  });
})();
