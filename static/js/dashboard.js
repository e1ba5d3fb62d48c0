// Keeps cards of personas that are reading files or training up to date, then reloads
// once their work is done.
(function () {
  "use strict";
  // The base model's line: live while it trains, then the page reloads to show it ready.
  const base = document.querySelector('.base-model-state[data-base-model="training"]');
  if (base) {
    const poll = function () {
      fetch(base.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) {
          if (body.key !== "training") { window.location.reload(); return; }
          base.querySelector('[data-role="base-model-label"]').textContent = body.label;
          window.setTimeout(poll, 5000);
        })
        .catch(function () { window.setTimeout(poll, 15000); });
    };
    window.setTimeout(poll, 5000);
  }
})();

(function () {
  "use strict";
  const cards = document.querySelectorAll(".persona-card[data-status-url]");
  if (!cards.length) return;

  function watch(card) {
    const tick = function () {
      fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) {
          const reading = body.files.some(function (f) {
            return f.status === "pending" || f.status === "parsing";
          });
          const run = body.run;
          const training = run && (run.status === "queued" || run.status === "running");
          if (training) {
            const bar = card.querySelector(".progress");
            if (bar) window.DY.setProgress(bar, run.percent);
            card.querySelector('[data-role="state-label"]').textContent = "Training " + run.percent + "%";
          }
          if (reading || training) window.setTimeout(tick, 3000);
          else window.location.reload();
        })
        .catch(function () { window.setTimeout(tick, 10000); });
    };
    window.setTimeout(tick, 3000);
  }
  cards.forEach(watch);
})();
