// Live training progress: frames from the training websocket (the database row is the truth;
// the server pushes it), with polling of the status endpoint while the socket is down. Every
// element of the page that shows the run's state renders the same frame: the live panel, the
// persona's state badge in the header and the run's row under "Runs and models".
(function () {
  "use strict";
  const panel = document.getElementById("live-run");
  const initial = document.getElementById("live-run-data");
  if (!panel || !initial) return;
  const ACTIVE = ["queued", "running"];
  const LABELS = {
    queued: "Queued: waiting for the worker…", running: "Training",
    succeeded: "Done", failed: "Failed", cancelled: "Cancelled",
  };
  const part = function (role) { return panel.querySelector('[data-role="' + role + '"]'); };
  let run = JSON.parse(initial.textContent);
  const startedActive = ACTIVE.indexOf(run.status) >= 0;
  let socket = null;
  let retries = 0;
  let pollTimer = null;
  let finished = false;

  function number(value, digits) {
    return value === null || value === undefined || !isFinite(value) ? "–" : Number(value).toFixed(digits);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min " + (s % 60) + " s";
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  // The header badge and the run's table row, outside the panel.
  function renderElsewhere(frame, active) {
    const state = document.getElementById("persona-state");
    if (state && active) {
      state.textContent = "Training " + (frame.percent || 0) + "%";
      state.className = "badge state-training";
    }
    const row = document.querySelector('tr[data-run="' + frame.run + '"]');
    if (!row) return;
    const badge = row.querySelector('[data-role="run-status"]');
    badge.textContent = frame.status_label || frame.status;
    badge.className = "badge run-" + frame.status;
    if (frame.started) row.querySelector('[data-role="run-started"]').textContent = frame.started;
  }

  function render(frame) {
    run = frame;
    const active = ACTIVE.indexOf(frame.status) >= 0;
    renderElsewhere(frame, active);
    panel.dataset.status = frame.status;
    let label = LABELS[frame.status] || frame.status;
    if (frame.status === "running" && frame.cancel_requested) label = "Cancelling…";
    part("status").textContent = label;
    let detail = "";
    if (frame.status === "running") {
      detail = frame.total_steps ? frame.percent + "%" : frame.phase || "preparing…";
    } else if (frame.status === "queued" && frame.queue_place) {
      detail = "place " + frame.queue_place + " in line";
    }
    part("detail").textContent = detail;
    window.DY.setProgress(part("bar"), frame.percent);
    part("bar").classList.toggle("indeterminate", frame.status === "queued");
    part("step").textContent = frame.total_steps ? frame.step + " / " + frame.total_steps : "–";
    part("epoch").textContent = frame.epoch ? String(frame.epoch) : "–";
    part("tokens").textContent = number(frame.tokens_per_s, 0);
    part("eta").textContent = active ? duration(frame.eta_s) : "–";
    part("loss").textContent = number(frame.train_loss, 3);
    part("ppl").textContent = number(frame.val_perplexity, 1);
    const error = part("error");
    error.hidden = frame.status !== "failed";
    error.textContent = frame.status === "failed" ? (frame.error || "The run failed.") : "";
    const cancel = part("cancel");
    if (cancel) cancel.hidden = !active;
    const history = frame.history || [];
    part("charts").hidden = !active && history.length === 0;
    window.DYChart.draw(part("loss-chart"), history.map(function (p) {
      return { x: p.step, y: p.train_loss };
    }), { color: "#4f46e5" });
    window.DYChart.draw(part("ppl-chart"), history.filter(function (p) {
      return p.val_perplexity !== null && p.val_perplexity !== undefined;
    }).map(function (p) { return { x: p.step, y: p.val_perplexity }; }),
    { color: "#1f8a4c", empty: "Measured at the end of each epoch", log: true });
    if (!active && startedActive && !finished) {
      // The run ended while we watched: reload so history, model and badges are current.
      finished = true;
      window.setTimeout(function () { window.location.reload(); }, 1500);
    }
  }

  function connectionNote(text) { part("connection").textContent = text; }

  function poll() {
    if (pollTimer) return;
    pollTimer = window.setInterval(function () {
      fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) { if (body.run && body.run.run === run.run) render(body.run); })
        .catch(function () { connectionNote("Lost contact with the server; retrying…"); });
    }, 3000);
  }

  function stopPolling() {
    if (pollTimer) window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function connect() {
    socket = new WebSocket(window.DY.socketUrl(panel.dataset.socketUrl));
    socket.onopen = function () {
      retries = 0;
      stopPolling();
      connectionNote("Live");
    };
    socket.onmessage = function (event) {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "progress" && (frame.run === run.run || ACTIVE.indexOf(frame.status) >= 0)) {
        render(frame);
      } else if (frame.type === "error") {
        connectionNote(frame.error);
      }
      if (ACTIVE.indexOf(run.status) < 0 && socket) socket.close();
    };
    socket.onclose = function () {
      socket = null;
      if (ACTIVE.indexOf(run.status) < 0) { connectionNote(""); return; }
      connectionNote("Connection lost; reconnecting…");
      poll();
      retries += 1;
      window.setTimeout(connect, Math.min(15000, 1000 * Math.pow(2, retries)));
    };
  }

  render(run);
  window.addEventListener("resize", function () { render(run); });
  if (ACTIVE.indexOf(run.status) >= 0) connect();
})();
