// Uploads chosen or dropped files one by one with a progress bar each (XMLHttpRequest
// upload progress), then polls the status endpoint until the worker has read them.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  const input = document.getElementById("upload-input");
  const list = document.getElementById("upload-list");
  const files = document.getElementById("file-list");
  if (!form || !input || !list) return;
  const maxBytes = Number(form.dataset.maxMb) * 1024 * 1024;
  const statusUrl = files ? files.dataset.statusUrl : "";
  const queue = [];
  let uploading = false;
  let stored = 0;

  function row(file) {
    const item = document.createElement("li");
    item.className = "upload-row";
    const name = document.createElement("span");
    name.className = "file-name";
    name.textContent = file.name;
    const bar = document.createElement("div");
    bar.className = "progress";
    bar.appendChild(document.createElement("span"));
    const note = document.createElement("span");
    note.className = "muted small";
    note.textContent = "waiting";
    item.append(name, bar, note);
    list.appendChild(item);
    return { item: item, bar: bar, note: note };
  }

  function fail(view, message) {
    view.item.classList.add("failed");
    view.note.textContent = message;
    view.note.className = "error-text small";
  }

  function uploadNext() {
    const next = queue.shift();
    if (!next) {
      uploading = false;
      if (stored) poll();
      return;
    }
    uploading = true;
    const file = next.file;
    const view = next.view;
    const data = new FormData();
    data.append("csrfmiddlewaretoken", window.DY.csrfToken());
    data.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-CSRFToken", window.DY.csrfToken());
    xhr.upload.onprogress = function (event) {
      if (!event.lengthComputable) return;
      const percent = (100 * event.loaded) / event.total;
      window.DY.setProgress(view.bar, percent);
      view.note.textContent = Math.round(percent) + "%";
    };
    xhr.onload = function () {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 200 && body.files && body.files.length) {
        window.DY.setProgress(view.bar, 100);
        view.item.classList.add("done");
        view.item.dataset.fileId = String(body.files[0].id);
        view.note.textContent = "uploaded, reading…";
        stored += 1;
      } else if (body.errors && body.errors.length) {
        fail(view, body.errors.join(" "));
      } else if (xhr.status === 413) {
        fail(view, "Too large for the server.");
      } else {
        fail(view, "Upload failed (" + xhr.status + "). Please try again.");
      }
      uploadNext();
    };
    xhr.onerror = function () {
      fail(view, "Network error: the file was not uploaded. Please try again.");
      uploadNext();
    };
    view.note.textContent = "0%";
    xhr.send(data);
  }

  function add(fileList) {
    Array.from(fileList).forEach(function (file) {
      const view = row(file);
      if (file.size > maxBytes) {
        fail(view, "Larger than the " + form.dataset.maxMb + " MB limit per file.");
        return;
      }
      queue.push({ file: file, view: view });
    });
    if (!uploading) uploadNext();
  }

  input.addEventListener("change", function () {
    add(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    form.addEventListener(type, function (event) {
      event.preventDefault();
      form.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    form.addEventListener(type, function (event) {
      event.preventDefault();
      form.classList.remove("dragging");
    });
  });
  form.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) add(event.dataTransfer.files);
  });

  // Polls until every file is read (or failed), then reloads to show the previews.
  let polling = false;
  let failures = 0;
  function poll() {
    if (polling || !statusUrl) return;
    polling = true;
    const tick = function () {
      fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (body) {
          failures = 0;
          const busy = body.files.some(function (f) {
            return f.status === "pending" || f.status === "parsing";
          });
          body.files.forEach(function (f) {
            const item = list.querySelector('[data-file-id="' + f.id + '"] .small');
            if (item && !busy) item.textContent = f.label;
          });
          if (busy || uploading) {
            window.setTimeout(tick, 1200);
          } else {
            window.location.reload();
          }
        })
        .catch(function () {
          failures += 1;
          const note = document.createElement("li");
          note.className = "error-text small";
          note.textContent = "Lost contact with the server; retrying…";
          if (failures === 1) list.appendChild(note);
          window.setTimeout(tick, Math.min(10000, 1500 * failures));
        });
    };
    tick();
  }
  if (files && files.dataset.busy) poll();
})();
