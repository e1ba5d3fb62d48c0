// A tiny line chart on <canvas>: one series, axes with min/max labels, no library.
(function () {
  "use strict";

  function format(value) {
    if (!isFinite(value)) return "";
    const abs = Math.abs(value);
    if (abs >= 1000) return value.toFixed(0);
    if (abs >= 10) return value.toFixed(1);
    return value.toFixed(2);
  }

  // points: [{x, y}] in order; options: {color, empty}
  function draw(canvas, points, options) {
    const opts = options || {};
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = "#667085";

    const data = points.filter(function (p) { return p && isFinite(p.x) && isFinite(p.y); });
    canvas.dataset.points = String(data.length);
    if (!data.length) {
      ctx.textAlign = "center";
      ctx.fillText(opts.empty || "Waiting for the first numbers…", width / 2, height / 2);
      return;
    }
    const left = 48, right = 12, top = 10, bottom = 24;
    const xs = data.map(function (p) { return p.x; });
    const ys = data.map(function (p) { return p.y; });
    let xMin = Math.min.apply(null, xs), xMax = Math.max.apply(null, xs);
    let yMin = Math.min.apply(null, ys), yMax = Math.max.apply(null, ys);
    if (xMax === xMin) { xMax = xMin + 1; }
    if (yMax === yMin) { yMax += 0.5; yMin -= 0.5; }
    const pad = (yMax - yMin) * 0.08;
    yMin -= pad; yMax += pad;
    const sx = function (x) { return left + ((x - xMin) / (xMax - xMin)) * (width - left - right); };
    const sy = function (y) { return top + (1 - (y - yMin) / (yMax - yMin)) * (height - top - bottom); };

    ctx.strokeStyle = "#e3e7ef";
    ctx.lineWidth = 1;
    ctx.beginPath();
    [yMin, (yMin + yMax) / 2, yMax].forEach(function (y) {
      ctx.moveTo(left, sy(y)); ctx.lineTo(width - right, sy(y));
    });
    ctx.stroke();

    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(format(yMax), left - 6, sy(yMax));
    ctx.fillText(format(yMin), left - 6, sy(yMin));
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.fillText("step " + Math.round(xMin), left, height - 6);
    ctx.textAlign = "right";
    ctx.fillText("step " + Math.round(xMax), width - right, height - 6);

    ctx.strokeStyle = opts.color || "#4f46e5";
    ctx.lineWidth = 2;
    ctx.lineJoin = "round";
    ctx.beginPath();
    data.forEach(function (p, i) {
      if (i === 0) ctx.moveTo(sx(p.x), sy(p.y)); else ctx.lineTo(sx(p.x), sy(p.y));
    });
    ctx.stroke();
    const last = data[data.length - 1];
    ctx.fillStyle = opts.color || "#4f46e5";
    ctx.beginPath();
    ctx.arc(sx(last.x), sy(last.y), 3.5, 0, Math.PI * 2);
    ctx.fill();
  }

  window.DYChart = { draw: draw };
})();
