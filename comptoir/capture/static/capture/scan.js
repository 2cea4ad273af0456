// The scanner: camera (or chosen photos), corners found by the server on a reduced copy,
// a draggable quadrilateral per page, rotation, order, removal, rendering; then one POST
// with the original photos and each page's corners in the photo's own pixels.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var COPY_SIDE = 1000; // the reduced copy sent for detection and shown on the page

  function setup(panel) {
    var urls = JSON.parse(panel.getAttribute("data-scan"));
    var maxPages = parseInt(panel.getAttribute("data-max-pages"), 10) || 30;
    var form = panel.querySelector("[data-save-form]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var list = panel.querySelector("[data-pages]");
    var status = panel.querySelector("[data-status]");
    var saveButton = panel.querySelector("[data-save]");
    var camera = panel.querySelector("[data-camera]");
    var video = panel.querySelector("[data-video]");
    var startButton = panel.querySelector("[data-camera-start]");
    var stream = null;
    var pages = [];
    var pending = 0;

    function msg(key) { return panel.getAttribute("data-msg-" + key) || key; }

    function say(text) { status.textContent = text; }

    function refresh() {
      list.textContent = "";
      pages.forEach(function (page, index) {
        page.number.textContent = msg("page") + " " + (index + 1);
        page.up.disabled = index === 0;
        page.down.disabled = index === pages.length - 1;
        list.appendChild(page.item);
        page.handles.forEach(function (handle, corner) {
          handle.setAttribute("aria-label", msg("corner-" + corner) + ", " + msg("page") + " " + (index + 1));
        });
      });
      saveButton.disabled = pages.length === 0 || pending > 0;
    }

    function draw(page) {
      var points = page.corners.map(function (p) { return p[0] + "," + p[1]; }).join(" ");
      page.polygon.setAttribute("points", points);
      page.handles.forEach(function (handle, i) {
        handle.setAttribute("cx", page.corners[i][0]);
        handle.setAttribute("cy", page.corners[i][1]);
      });
    }

    function clamp(value, max) { return Math.max(0, Math.min(max, value)); }

    function button(label, onClick) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button-secondary";
      b.textContent = label;
      b.addEventListener("click", onClick);
      return b;
    }

    function move(page, delta) {
      var index = pages.indexOf(page);
      var target = index + delta;
      if (target < 0 || target >= pages.length) return;
      pages.splice(index, 1);
      pages.splice(target, 0, page);
      refresh();
    }

    function turn(page, quarter) {
      page.rotation = (page.rotation + quarter * 90 + 360) % 360;
      page.figure.classList.remove("scan-turn-90", "scan-turn-180", "scan-turn-270");
      if (page.rotation) page.figure.classList.add("scan-turn-" + page.rotation);
    }

    function handleEvents(page, handle, corner) {
      var dragging = false;
      function toSvg(event) {
        var point = page.svg.createSVGPoint();
        point.x = event.clientX;
        point.y = event.clientY;
        return point.matrixTransform(page.svg.getScreenCTM().inverse());
      }
      handle.addEventListener("pointerdown", function (event) {
        dragging = true;
        handle.setPointerCapture(event.pointerId);
        handle.focus();
        event.preventDefault();
      });
      handle.addEventListener("pointermove", function (event) {
        if (!dragging) return;
        var p = toSvg(event);
        page.corners[corner] = [clamp(p.x, page.width), clamp(p.y, page.height)];
        draw(page);
      });
      function stop(event) {
        dragging = false;
        if (handle.hasPointerCapture(event.pointerId)) handle.releasePointerCapture(event.pointerId);
      }
      handle.addEventListener("pointerup", stop);
      handle.addEventListener("pointercancel", stop);
      handle.addEventListener("keydown", function (event) {
        var step = (event.shiftKey ? 0.05 : 0.01) * Math.max(page.width, page.height);
        var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
        var d = moves[event.key];
        if (!d) return;
        event.preventDefault();
        var c = page.corners[corner];
        page.corners[corner] = [clamp(c[0] + d[0], page.width), clamp(c[1] + d[1], page.height)];
        draw(page);
      });
    }

    function build(page) {
      var item = document.createElement("li");
      item.className = "scan-page";
      var head = document.createElement("div");
      head.className = "scan-page-head";
      page.number = document.createElement("strong");
      page.note = document.createElement("span");
      page.note.className = "help";
      page.note.textContent = msg("detecting");
      head.appendChild(page.number);
      head.appendChild(page.note);
      item.appendChild(head);

      page.figure = document.createElement("figure");
      page.figure.className = "scan-figure";
      var img = document.createElement("img");
      img.alt = "";
      img.src = page.copyUrl;
      page.figure.appendChild(img);
      page.svg = document.createElementNS(SVG, "svg");
      page.svg.setAttribute("viewBox", "0 0 " + page.width + " " + page.height);
      page.svg.setAttribute("preserveAspectRatio", "none");
      page.polygon = document.createElementNS(SVG, "polygon");
      page.polygon.setAttribute("class", "scan-quad");
      page.svg.appendChild(page.polygon);
      page.handles = [0, 1, 2, 3].map(function (corner) {
        var handle = document.createElementNS(SVG, "circle");
        handle.setAttribute("class", "scan-handle");
        handle.setAttribute("r", String(Math.round(0.03 * Math.max(page.width, page.height))));
        handle.setAttribute("tabindex", "0");
        handle.setAttribute("role", "button");
        handle.setAttribute("data-corner", String(corner));
        handleEvents(page, handle, corner);
        page.svg.appendChild(handle);
        return handle;
      });
      page.figure.appendChild(page.svg);
      item.appendChild(page.figure);

      var tools = document.createElement("div");
      tools.className = "scan-tools";
      tools.appendChild(button(msg("left"), function () { turn(page, -1); }));
      tools.appendChild(button(msg("right"), function () { turn(page, 1); }));
      page.up = button(msg("up"), function () { move(page, -1); });
      page.down = button(msg("down"), function () { move(page, 1); });
      tools.appendChild(page.up);
      tools.appendChild(page.down);
      tools.appendChild(button(msg("delete"), function () {
        pages.splice(pages.indexOf(page), 1);
        URL.revokeObjectURL(page.copyUrl);
        refresh();
      }));
      var label = document.createElement("label");
      label.textContent = msg("enhancement") + " ";
      page.enhancement = form.ownerDocument.createElement("select");
      page.enhancement.setAttribute("data-enhancement", "");
      [["contrast", panel.getAttribute("data-enh-contrast")], ["bw", panel.getAttribute("data-enh-bw")], ["colour", panel.getAttribute("data-enh-colour")]].forEach(function (option) {
        var o = document.createElement("option");
        o.value = option[0];
        o.textContent = option[1] || option[0];
        page.enhancement.appendChild(o);
      });
      label.appendChild(page.enhancement);
      tools.appendChild(label);
      item.appendChild(tools);
      page.item = item;
      draw(page);
    }

    function reduce(bitmap) {
      var scale = Math.min(1, COPY_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve({ blob: blob, width: canvas.width, height: canvas.height }); }, "image/jpeg", 0.85);
      });
    }

    function detect(page, copy) {
      var body = new FormData();
      body.append("photo", copy.blob, "copy.jpg");
      return fetch(urls.detect, { method: "POST", body: body, headers: { "X-CSRFToken": token }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && answer.corners) {
            page.corners = answer.corners;
            page.found = answer.found;
          }
        })
        .catch(function () { page.found = false; });
    }

    function add(original, name) {
      if (pages.length + pending >= maxPages) return;
      pending += 1;
      saveButton.disabled = true;
      say(msg("detecting"));
      createImageBitmap(original, { imageOrientation: "from-image" }).then(function (bitmap) {
        return reduce(bitmap).then(function (copy) {
          var page = {
            original: original,
            name: name,
            width: copy.width,
            height: copy.height,
            scale: bitmap.width / copy.width,
            copyUrl: URL.createObjectURL(copy.blob),
            corners: [[0, 0], [copy.width, 0], [copy.width, copy.height], [0, copy.height]],
            found: false,
            rotation: 0,
          };
          bitmap.close();
          return detect(page, copy).then(function () {
            build(page);
            page.note.textContent = page.found ? msg("found") : msg("not-found");
            page.item.classList.toggle("scan-page-not-found", !page.found);
            page.item.setAttribute("data-found", page.found ? "true" : "false");
            pages.push(page);
          });
        });
      }).catch(function () { say(msg("failed")); }).then(function () {
        pending -= 1;
        say(pages.length + " " + msg("count"));
        refresh();
      });
    }

    panel.querySelector("[data-files]").addEventListener("change", function (event) {
      Array.prototype.forEach.call(event.target.files, function (file) { add(file, file.name); });
      event.target.value = "";
    });

    function stopCamera() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      camera.hidden = true;
      startButton.hidden = false;
    }

    function startCamera() {
      navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 4096 }, height: { ideal: 3072 } },
        audio: false,
      }).then(function (media) {
        stream = media;
        video.srcObject = media;
        camera.hidden = false;
        startButton.hidden = true;
        return video.play();
      }).catch(function () {
        stopCamera();
        startButton.hidden = true;
        say(msg("no-camera"));
      });
    }

    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      startButton.hidden = false;
      startButton.addEventListener("click", startCamera);
      panel.querySelector("[data-camera-stop]").addEventListener("click", stopCamera);
      panel.querySelector("[data-shoot]").addEventListener("click", function () {
        if (!video.videoWidth) return;
        var canvas = document.createElement("canvas");
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        canvas.getContext("2d").drawImage(video, 0, 0);
        canvas.toBlob(function (blob) {
          add(blob, "page-" + (pages.length + pending + 1) + ".jpg");
        }, "image/jpeg", 0.92);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!pages.length || pending) return;
      var body = new FormData(form);
      var specs = pages.map(function (page) {
        body.append("photos", page.original, page.name);
        return {
          corners: page.corners.map(function (c) { return [c[0] * page.scale, c[1] * page.scale]; }),
          rotation: page.rotation,
          enhancement: page.enhancement.value,
        };
      });
      body.append("pages", JSON.stringify(specs));
      saveButton.disabled = true;
      say(msg("saving"));
      fetch(urls.save, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (answer.ok) {
            stopCamera();
            window.location.assign(answer.url);
          } else {
            say(answer.error || msg("failed"));
            saveButton.disabled = false;
          }
        })
        .catch(function () { say(msg("failed")); saveButton.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-scan]").forEach(setup);
  });
})();
