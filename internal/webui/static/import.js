// Import page: picks or drops files and sends each one with a small tus 1.0
// client to /v1/uploads/ (three files at a time, in chunks, resumable after
// a network cut or a reload), then learns each call's outcome from the
// page's event stream (Server-Sent Events).
(function () {
  "use strict";
  var root = document.getElementById("importer");
  if (!root) { return; }
  var S = JSON.parse(root.dataset.strings);
  var campaign = root.dataset.campaign;
  var CHUNK = parseInt(root.dataset.chunk, 10) || 8 * 1024 * 1024;
  var base = "/campaigns/" + encodeURIComponent(campaign);
  var queueEl = document.getElementById("queue");
  var overall = document.getElementById("overall");
  var overallPct = document.getElementById("overall-pct");
  var summary = document.getElementById("summary");
  var batchError = document.getElementById("batch-error");
  var fieldNames = ["agent_email", "conversation_timestamp", "metadata"];
  var FINAL = ["imported", "duplicate", "rejected", "failed"];
  var items = [];
  var running = 0;
  var LIMIT = 3;
  var RETRIES = [1000, 3000, 8000]; // automatic retries after a network cut
  var awaiting = {}; // call id -> items waiting for its outcome
  var finished = {}; // call id -> outcome already streamed

  // ---- outcomes through Server-Sent Events ----
  // The stream sends the campaign's calls created since a little before the
  // page was served (data-since, by the server's clock) once they are final;
  // the page shows those it uploaded. EventSource reconnects by itself after
  // a cut. The stream is open only while files are being sent or wait for
  // their outcome, so an idle page costs the server nothing.
  var events = null;
  function listen() {
    if (events) { return; }
    events = new EventSource(base + "/events?since=" + encodeURIComponent(root.dataset.since || ""));
    events.addEventListener("outcome", function (e) {
      var o = JSON.parse(e.data);
      finished[o.call_id] = o;
      (awaiting[o.call_id] || []).forEach(function (it) { showOutcome(it, o); });
      delete awaiting[o.call_id];
      if (idle()) { events.close(); events = null; }
      scheduleUpdate();
    });
  }

  function idle() {
    if (Object.keys(awaiting).length > 0) { return false; }
    return !items.some(function (it) { return it.phase === "waiting" || it.phase === "uploading"; });
  }

  function awaitCall(it, id, duplicate) {
    it.callId = id;
    if (duplicate) { setPhase(it, "duplicate", S.o_duplicate); return; }
    setPhase(it, "checking", S.o_checking);
    // The stream may have told the outcome before the upload's answer came.
    if (finished[id]) { showOutcome(it, finished[id]); return; }
    (awaiting[id] = awaiting[id] || []).push(it);
    listen();
  }

  function showOutcome(it, o) {
    if (it.phase !== "checking") { return; }
    it.row.dataset.via = "events";
    if (o.outcome === "imported") { setPhase(it, "imported", S.o_imported + durationText(o)); }
    else if (o.outcome === "rejected") { setPhase(it, "rejected", S.o_rejected + S.colon + (o.reason || "")); }
  }

  function durationText(o) {
    if (!o.duration_seconds) { return ""; }
    var s = Math.round(o.duration_seconds);
    return " (" + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + ")";
  }

  // ---- batch fields ----
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
        scheduleUpdate();
        if (i < files.length) { setTimeout(chunk, 0); }
      })();
    }).catch(function () {
      batchError.hidden = false;
      batchError.textContent = S.e_other;
    });
  }

  // ---- rows ----
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
    var it = { file: file, batch: batch, row: row, bar: bar, state: state, btn: btn, loaded: 0, phase: "waiting",
      xhr: null, url: null, tries: 0, conflicts: 0, timer: null, callId: null };
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
    var canRetry = phase === "cancelled" || phase === "failed" || phase === "paused";
    it.btn.hidden = !(canCancel || canRetry);
    it.btn.textContent = canCancel ? S.cancel : S.retry;
    it.btn.setAttribute("aria-label", it.btn.textContent + " " + it.file.name);
  }

  function setLoaded(it, n) {
    it.loaded = Math.min(it.file.size, n);
    it.bar.value = it.file.size > 0 ? Math.floor(it.loaded / it.file.size * 100) : 100;
    scheduleUpdate();
  }

  // cancel stops the upload and terminates it on the server.
  function cancel(it) {
    clearTimeout(it.timer);
    if (it.xhr) { var x = it.xhr; it.xhr = null; x.abort(); }
    if (it.url) {
      fetch(it.url, { method: "DELETE", headers: { "Tus-Resumable": "1.0.0" }, credentials: "same-origin" }).catch(function () {});
    }
    forget(it);
    it.url = null;
    setLoaded(it, 0);
    setPhase(it, "cancelled", S.o_cancelled);
  }

  function retry(it) {
    it.tries = 0;
    setPhase(it, "waiting", S.o_waiting);
    pump();
    scheduleUpdate();
  }

  function pump() {
    for (var i = 0; i < items.length && running < LIMIT; i++) {
      if (items[i].phase === "waiting") { start(items[i]); }
    }
  }

  // ---- tus client ----
  // The upload URL is kept in localStorage under the file's name, size and
  // modification time and the campaign, so that picking the same file again
  // after a reload resumes it.
  function storageKey(it) {
    return "callimport.tus:" + campaign + ":" + it.file.name + ":" + it.file.size + ":" + it.file.lastModified;
  }
  var KEEP_MS = 23 * 3600 * 1000; // the server keeps an unfinished upload 24 h
  function remember(it) {
    try { localStorage.setItem(storageKey(it), JSON.stringify({ url: it.url, at: Date.now() })); } catch (e) { /* private mode */ }
  }
  function forget(it) {
    try { localStorage.removeItem(storageKey(it)); } catch (e) { /* private mode */ }
    unfinished();
  }
  function remembered(it) {
    try {
      var v = JSON.parse(localStorage.getItem(storageKey(it)) || "null");
      return v && v.url && Date.now() - v.at < KEEP_MS ? v.url : null;
    } catch (e) { return null; }
  }

  // unfinished tells, on arrival, which files an earlier visit left half
  // sent: picking them again continues them.
  function unfinished() {
    var prefix = "callimport.tus:" + campaign + ":", names = [];
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var k = localStorage.key(i);
        if (!k || k.indexOf(prefix) !== 0) { continue; }
        var v = null;
        try { v = JSON.parse(localStorage.getItem(k)); } catch (e) { v = null; }
        if (!v || Date.now() - v.at >= KEEP_MS) { localStorage.removeItem(k); continue; }
        var parts = k.slice(prefix.length).split(":");
        names.push(parts.slice(0, parts.length - 2).join(":"));
      }
    } catch (e) { return; }
    var el = document.getElementById("unfinished");
    if (!el) { return; }
    el.textContent = names.length ? S.unfinished + " " + names.sort().join(", ") : "";
    el.hidden = !names.length;
  }
  unfinished();

  function b64(s) {
    var bytes = new TextEncoder().encode(s), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin);
  }

  function metadata(it) {
    var pairs = ["filename " + b64(it.file.name), "campaign_id " + b64(campaign)];
    fieldNames.forEach(function (n) { if (it.batch[n]) { pairs.push(n + " " + b64(it.batch[n])); } });
    return pairs.join(",");
  }

  // request sends one tus request with XHR (for upload progress) and calls
  // done(status, xhr) once it ends; status 0 is a network failure.
  function request(it, method, url, headers, body, done) {
    var xhr = new XMLHttpRequest();
    it.xhr = xhr;
    xhr.open(method, url);
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
    xhr.responseType = "text";
    if (body) {
      var from = it.loaded;
      xhr.upload.addEventListener("progress", function (e) { if (it.xhr === xhr) { setLoaded(it, from + e.loaded); } });
    }
    xhr.addEventListener("loadend", function () {
      if (it.xhr !== xhr) { return; } // cancelled
      it.xhr = null;
      done(xhr.status, xhr);
    });
    xhr.send(body || null);
  }

  function start(it) {
    running++;
    it.conflicts = 0;
    it.url = remembered(it);
    setPhase(it, "uploading", it.url ? S.o_resuming : S.o_uploading);
    if (it.url) { resume(it); } else { create(it); }
  }

  function create(it) {
    request(it, "POST", "/v1/uploads/", { "Upload-Length": String(it.file.size), "Upload-Metadata": metadata(it) }, null,
      function (status, xhr) {
        if (status !== 201) { return failed(it, status, xhr); }
        it.url = new URL(xhr.getResponseHeader("Location"), location.href).pathname;
        remember(it);
        setLoaded(it, 0);
        send(it);
      });
  }

  // resume asks the server how much of a remembered upload it has.
  function resume(it) {
    request(it, "HEAD", it.url, {}, null, function (status, xhr) {
      if (status === 404 || status === 410 || status === 403) { forget(it); it.url = null; return create(it); }
      if (status !== 200 && status !== 204) { return failed(it, status, xhr); }
      var off = parseInt(xhr.getResponseHeader("Upload-Offset"), 10) || 0;
      setLoaded(it, off);
      if (xhr.getResponseHeader("Upload-Call-Id")) { return complete(it, xhr); }
      send(it);
    });
  }

  function send(it) {
    setPhase(it, "uploading", S.o_uploading);
    var end = Math.min(it.file.size, it.loaded + CHUNK);
    request(it, "PATCH", it.url, { "Upload-Offset": String(it.loaded), "Content-Type": "application/offset+octet-stream" },
      it.file.slice(it.loaded, end), function (status, xhr) {
        if (status === 409 && it.conflicts++ < 2) { return resume(it); } // offsets disagree: ask again
        if (status !== 204) { return failed(it, status, xhr); }
        it.tries = 0;
        setLoaded(it, parseInt(xhr.getResponseHeader("Upload-Offset"), 10) || end);
        if (xhr.getResponseHeader("Upload-Call-Id")) { return complete(it, xhr); }
        send(it);
      });
  }

  function complete(it, xhr) {
    running--;
    forget(it);
    setLoaded(it, it.file.size);
    awaitCall(it, xhr.getResponseHeader("Upload-Call-Id"), xhr.getResponseHeader("Upload-Call-Duplicate") === "true");
    pump();
  }

  // failed shows why an upload stopped. A network cut is retried a few
  // times, then left paused: Retry continues from the server's offset.
  function failed(it, status, xhr) {
    running--;
    if (status === 0 || status === 423 || status === 503 || status === 502) {
      if (it.tries < RETRIES.length) {
        setPhase(it, "uploading", S.o_resuming);
        running++;
        it.timer = setTimeout(function () { if (it.url) { resume(it); } else { create(it); } }, RETRIES[it.tries++]);
        return;
      }
      setPhase(it, "paused", S.o_paused);
      pump();
      return;
    }
    var p = {};
    try { p = JSON.parse(xhr.responseText || "{}"); } catch (e) { /* not JSON */ }
    var reason = { 401: S.e_session, 413: S.e_too_large, 415: S.e_not_audio, 409: S.e_conflict }[status];
    if (!reason && status === 422) { reason = S.e_invalid + (p.errors ? " (" + p.errors.map(function (f) { return f.field + ": " + f.reason; }).join("; ") + ")" : ""); }
    forget(it);
    it.url = null;
    if (reason && status !== 401) {
      setLoaded(it, it.file.size);
      setPhase(it, "rejected", S.o_rejected + S.colon + reason);
    } else {
      setPhase(it, "failed", S.o_failed + S.colon + (reason || p.detail || S.e_other));
    }
    pump();
  }

  // ---- totals, redrawn at most once a frame ----
  var pending = false;
  function scheduleUpdate() {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; update(); });
  }

  function update() {
    var total = 0, loaded = 0, done = 0, counted = 0;
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      if (it.phase === "cancelled") { continue; }
      counted++;
      total += it.file.size;
      loaded += it.loaded;
      if (FINAL.indexOf(it.phase) >= 0) { done++; }
    }
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
