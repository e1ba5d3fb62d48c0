// Small behaviours shared by every page: progress bars, copy buttons, confirmations,
// busy buttons. Loaded with <script src>, never inline (the CSP forbids inline script).
(function () {
  "use strict";

  function setProgress(bar, percent) {
    const value = Math.max(0, Math.min(100, Number(percent) || 0));
    bar.dataset.percent = String(value);
    bar.setAttribute("aria-valuenow", String(Math.round(value)));
    const fill = bar.querySelector("span");
    if (fill) fill.style.width = value + "%";
  }

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function socketUrl(path) {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + path;
  }

  window.DY = { setProgress: setProgress, csrfToken: csrfToken, socketUrl: socketUrl };

  document.querySelectorAll(".progress[data-percent]").forEach(function (bar) {
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    setProgress(bar, bar.dataset.percent);
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      const input = button.parentElement.querySelector("input");
      if (!input) return;
      input.select();
      const done = function () {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {});
      } else {
        done();  // Selected: the user can press Ctrl+C on plain-HTTP deployments.
      }
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented || form.id === "chat-form") return;
      const button = form.querySelector("button[type=submit]");
      if (!button) return;
      // Shown while the next page loads; a double click cannot send the form twice.
      window.setTimeout(function () {
        button.disabled = true;
        button.classList.add("is-busy");
      }, 0);
    });
  });
})();
