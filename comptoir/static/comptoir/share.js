// "Ranger les documents": the files the service worker kept from the Share menu (in
// IndexedDB), a dossier (searchable, the last used first), then a classeur or an open
// task step; the files then go through the upload queue (pwa_queue.js).
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " o";
    var units = ["Ko", "Mo", "Go"];
    var value = bytes / 1024;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return value.toFixed(value < 10 ? 1 : 0).replace(".", ",") + " " + units[unit];
  }

  function option(value, label) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    return element;
  }

  function setup(panel) {
    var Store = window.ComptoirStore;
    var Queue = window.ComptoirQueue;
    var list = panel.querySelector("[data-share-files]");
    var empty = panel.querySelector("[data-share-empty]");
    var form = panel.querySelector("[data-share-form]");
    var sent = panel.querySelector("[data-share-sent]");
    if (!Store || !Queue) { empty.hidden = false; return; }
    var dossier = form && form.querySelector("[data-share-dossier]");
    var destination = form && form.querySelector("[data-share-destination]");
    var search = form && form.querySelector("[data-share-search]");
    var submit = form && form.querySelector("[data-share-submit]");
    var scan = form && form.querySelector("[data-share-scan]");
    var shared = [];

    function showFiles() {
      list.replaceChildren();
      shared.forEach(function (record) {
        var li = document.createElement("li");
        li.className = "upload-item";
        var name = document.createElement("span");
        name.className = "upload-name";
        name.textContent = record.name;
        var size = document.createElement("span");
        size.className = "help";
        size.textContent = formatSize(record.size);
        li.append(name, size);
        list.appendChild(li);
      });
      empty.hidden = shared.length > 0;
      // Without shared files the page still opens the scanner for a dossier.
      if (form) form.hidden = false;
      if (submit) submit.hidden = shared.length === 0;
    }

    // The scanner of the chosen dossier, with the chosen classeur or step preselected.
    function updateScan() {
      var chosen = dossier.options[dossier.selectedIndex];
      if (!scan || !chosen) return;
      var href = chosen.getAttribute("data-scan");
      var target = destination.options[destination.selectedIndex];
      var parts = target ? target.value.split(":") : [];
      if (parts[0] === "step") {
        href += "?task=" + encodeURIComponent(parts[1]) + "&step=" + encodeURIComponent(parts[2]);
      } else if (parts[0] === "folder" && parts[1]) {
        href += "?folder=" + encodeURIComponent(parts[1]);
      }
      scan.href = href;
    }

    function loadDestinations() {
      var chosen = dossier.options[dossier.selectedIndex];
      destination.replaceChildren();
      updateScan();
      if (!chosen) return;
      var url = chosen.getAttribute("data-url");
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          // An answer for a dossier no longer chosen is dropped.
          var current = dossier.options[dossier.selectedIndex];
          if (!current || current.getAttribute("data-url") !== url) return;
          destination.replaceChildren();
          var folders = document.createElement("optgroup");
          folders.label = panel.getAttribute("data-msg-folders");
          data.folders.forEach(function (folder) {
            folders.appendChild(option("folder:" + folder.folder, folder.label));
          });
          destination.appendChild(folders);
          if (data.steps.length) {
            var steps = document.createElement("optgroup");
            steps.label = panel.getAttribute("data-msg-steps");
            data.steps.forEach(function (step) {
              steps.appendChild(option("step:" + step.task + ":" + step.step, step.label));
            });
            destination.appendChild(steps);
          }
          updateScan();
        });
    }

    if (form) {
      dossier.addEventListener("change", loadDestinations);
      destination.addEventListener("change", updateScan);
      search.addEventListener("input", function () {
        var words = search.value.trim().toLowerCase();
        var firstVisible = null;
        Array.prototype.forEach.call(dossier.options, function (element) {
          var match = !words || element.textContent.toLowerCase().indexOf(words) !== -1;
          element.hidden = !match;
          if (match && !firstVisible) firstVisible = element;
        });
        var current = dossier.options[dossier.selectedIndex];
        if (firstVisible && (!current || current.hidden)) {
          dossier.value = firstVisible.value;
          loadDestinations();
        }
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var chosen = destination.options[destination.selectedIndex];
        if (!chosen) return;
        var parts = chosen.value.split(":");
        var target = {
          slug: dossier.value,
          label: dossier.options[dossier.selectedIndex].textContent + " · " + chosen.textContent
        };
        if (parts[0] === "step") {
          target.task = parts[1];
          target.step = parts[2];
        } else {
          target.folder = parts[1];
        }
        Queue.take(shared, target).then(function () {
          shared = [];
          showFiles();
          empty.hidden = true;
          sent.textContent = panel.getAttribute("data-msg-sent");
          sent.hidden = false;
        });
      });
      loadDestinations();
    }

    Store.all().then(function (records) {
      shared = records.filter(function (record) { return record.state === "shared"; });
      shared.sort(function (a, b) { return a.createdAt - b.createdAt; });
      showFiles();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-share]").forEach(setup);
  });
})();
