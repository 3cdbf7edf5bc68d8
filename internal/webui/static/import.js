// Import page: picks or drops files, uploads each one (three at a time)
// with XHR to show progress, then polls its status until it is final.
(function () {
  "use strict";
  var root = document.getElementById("importer");
  if (!root) { return; }
  var S = JSON.parse(root.dataset.strings);
  var campaign = root.dataset.campaign;
  var base = "/campaigns/" + encodeURIComponent(campaign);
  var queueEl = document.getElementById("queue");
  var overall = document.getElementById("overall");
  var overallPct = document.getElementById("overall-pct");
  var summary = document.getElementById("summary");
  var batchError = document.getElementById("batch-error");
  var fieldNames = ["agent_email", "conversation_timestamp", "metadata"];
  var items = [];
  var running = 0;
  var LIMIT = 3;
  var POLL_MS = 700;
  var POLL_MAX = 400;

  function fields() {
    var f = {};
    fieldNames.forEach(function (n) { f[n] = document.getElementById(n).value; });
    return f;
  }

  function showFieldErrors(list) {
    fieldNames.forEach(function (n) { document.getElementById("err-" + n).textContent = ""; });
    (list || []).forEach(function (fe) {
      var el = document.getElementById("err-" + fe.field);
      if (el) { el.textContent = (el.textContent ? el.textContent + " " : "") + fe.reason; }
    });
  }

  // checkBatch validates the batch fields once before files are sent.
  function checkBatch() {
    var body = new URLSearchParams(fields());
    return fetch(base + "/import/check", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        var ok = res.ok && res.body.outcome === "ok";
        showFieldErrors(res.body.fields);
        batchError.hidden = ok;
        batchError.textContent = ok ? "" : (res.body.reason ? res.body.reason + " " : "") + S.batch_invalid;
        return ok;
      });
  }

  function addFiles(fileList) {
    var files = Array.prototype.slice.call(fileList || []);
    if (!files.length) { return; }
    checkBatch().then(function (ok) {
      if (!ok) { return; }
      var snapshot = fields();
      // Rows are added in chunks so that a folder of hundreds of files keeps the page responsive.
      var i = 0;
      (function chunk() {
        var frag = document.createDocumentFragment();
        for (var n = 0; n < 100 && i < files.length; n++, i++) {
          var it = newItem(files[i], snapshot);
          items.push(it);
          frag.appendChild(it.row);
        }
        queueEl.appendChild(frag);
        pump();
        update();
        if (i < files.length) { setTimeout(chunk, 0); }
      })();
    }).catch(function () {
      batchError.hidden = false;
      batchError.textContent = S.e_other;
    });
  }

  function newItem(file, batch) {
    var row = document.createElement("li");
    row.className = "item";
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var state = document.createElement("span");
    state.className = "state";
    state.setAttribute("aria-live", "polite");
    var btn = document.createElement("button");
    btn.type = "button";
    row.append(name, bar, state, btn);
    var it = { file: file, batch: batch, row: row, bar: bar, state: state, btn: btn, loaded: 0, phase: "waiting", xhr: null };
    btn.addEventListener("click", function () {
      if (it.phase === "waiting" || it.phase === "uploading") { cancel(it); } else { retry(it); }
    });
    setPhase(it, "waiting", S.o_waiting);
    return it;
  }

  function setPhase(it, phase, text) {
    it.phase = phase;
    it.row.dataset.outcome = phase;
    it.state.textContent = text;
    var canCancel = phase === "waiting" || phase === "uploading";
    var canRetry = phase === "cancelled" || phase === "failed";
    it.btn.hidden = !(canCancel || canRetry);
    it.btn.textContent = canCancel ? S.cancel : S.retry;
    it.btn.setAttribute("aria-label", it.btn.textContent + " " + it.file.name);
  }

  function cancel(it) {
    if (it.xhr) { it.xhr.abort(); it.xhr = null; }
    it.loaded = 0;
    it.bar.value = 0;
    setPhase(it, "cancelled", S.o_cancelled);
    update();
  }

  function retry(it) {
    it.loaded = 0;
    it.bar.value = 0;
    setPhase(it, "waiting", S.o_waiting);
    pump();
    update();
  }

  function pump() {
    for (var i = 0; i < items.length && running < LIMIT; i++) {
      if (items[i].phase === "waiting") { upload(items[i]); }
    }
  }

  function upload(it) {
    running++;
    setPhase(it, "uploading", S.o_uploading);
    var fd = new FormData();
    fieldNames.forEach(function (n) { if (it.batch[n]) { fd.append(n, it.batch[n]); } });
    fd.append("file", it.file, it.file.name);
    var xhr = new XMLHttpRequest();
    it.xhr = xhr;
    xhr.open("POST", base + "/import");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        it.loaded = Math.min(it.file.size, e.loaded / e.total * it.file.size);
        it.bar.value = Math.floor(e.loaded / e.total * 100);
        update();
      }
    });
    xhr.addEventListener("loadend", function () {
      running--;
      if (it.xhr !== xhr) { pump(); return; } // cancelled
      it.xhr = null;
      var body = xhr.response || {};
      if (xhr.status === 0) {
        setPhase(it, "failed", S.o_failed);
      } else {
        it.loaded = it.file.size;
        it.bar.value = 100;
        settle(it, xhr.status, body);
      }
      update();
      pump();
    });
    xhr.send(fd);
  }

  // settle shows an answer of the server and polls while the audio is checked.
  function settle(it, status, body) {
    if (status === 401) { setPhase(it, "failed", S.e_session); return; }
    switch (body.outcome) {
      case "imported": setPhase(it, "imported", S.o_imported + durationText(body)); return;
      case "duplicate": setPhase(it, "duplicate", S.o_duplicate); return;
      case "rejected": setPhase(it, "rejected", S.o_rejected + S.colon + (body.reason || "")); return;
      case "checking": setPhase(it, "checking", S.o_checking); poll(it, body.call_id, 0); return;
      default: setPhase(it, "failed", S.o_failed + (body.reason ? S.colon + body.reason : ""));
    }
  }

  function durationText(body) {
    if (!body.duration_seconds) { return ""; }
    var s = Math.round(body.duration_seconds);
    return " (" + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + ")";
  }

  function poll(it, id, n) {
    if (n >= POLL_MAX) { return; }
    setTimeout(function () {
      fetch(base + "/calls/" + encodeURIComponent(id) + "/status", { credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
        .then(function (res) {
          if (res.body.outcome === "checking") { poll(it, id, n + 1); return; }
          settle(it, res.status, res.body);
          update();
        })
        .catch(function () { poll(it, id, n + 1); });
    }, POLL_MS);
  }

  function update() {
    var total = 0, loaded = 0, done = 0, counted = 0;
    items.forEach(function (it) {
      if (it.phase === "cancelled") { return; }
      counted++;
      total += it.file.size;
      loaded += it.loaded;
      if (["imported", "duplicate", "rejected", "failed"].indexOf(it.phase) >= 0) { done++; }
    });
    var pct = total > 0 ? Math.floor(loaded / total * 100) : 0;
    overall.value = pct;
    overallPct.textContent = pct + " %";
    summary.textContent = S.summary.replace("%d", done).replace("%d", counted);
  }

  var input = document.getElementById("files");
  input.addEventListener("change", function () { addFiles(input.files); input.value = ""; });

  var zone = document.getElementById("dropzone");
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer) { addFiles(e.dataTransfer.files); }
  });
  // A file dropped outside the zone must not make the browser leave the page.
  window.addEventListener("dragover", function (e) { e.preventDefault(); });
  window.addEventListener("drop", function (e) { e.preventDefault(); });
})();
