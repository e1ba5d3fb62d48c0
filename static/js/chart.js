// A tiny line chart on <canvas>: one series, no library. The y axis is labelled with real
// values only (the lowest and highest point, and on a log scale the powers of ten between);
// the room left around the line is never printed. A log scale suits perplexity, which falls
// from thousands to hundreds in the first epoch and would flatten the rest of a linear curve.
(function () {
  "use strict";

  function format(value) {
    if (!isFinite(value)) return "";
    const abs = Math.abs(value);
    if (abs >= 1000) return value.toFixed(0);
    if (abs >= 10) return value.toFixed(1);
    return value.toFixed(2);
  }

  // The values to label, highest first: real values on the axis, never the padded ends.
  function ticks(low, high, log) {
    const values = [high];
    if (log) {
      for (let power = Math.floor(Math.log10(high)); Math.pow(10, power) > low; power -= 1) {
        const value = Math.pow(10, power);
        if (value < high) values.push(value);
      }
    }
    if (low < high) values.push(low);
    return values;
  }

  // points: [{x, y}] in order; options: {color, empty, log}
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

    const data = points.filter(function (p) {
      return p && isFinite(p.x) && isFinite(p.y) && (!opts.log || p.y > 0);
    });
    canvas.dataset.points = String(data.length);
    canvas.dataset.scale = opts.log ? "log" : "linear";
    canvas.dataset.labels = "[]";
    if (!data.length) {
      ctx.textAlign = "center";
      ctx.fillText(opts.empty || "Waiting for the first numbers…", width / 2, height / 2);
      return;
    }
    const left = 48, right = 12, top = 10, bottom = 24;
    const t = opts.log ? Math.log10 : function (y) { return y; };
    const xs = data.map(function (p) { return p.x; });
    const ys = data.map(function (p) { return p.y; });
    let xMin = Math.min.apply(null, xs), xMax = Math.max.apply(null, xs);
    const low = Math.min.apply(null, ys), high = Math.max.apply(null, ys);
    if (xMax === xMin) { xMax = xMin + 1; }
    let tMin = t(low), tMax = t(high);
    if (tMax === tMin) { tMax += 0.5; tMin -= 0.5; }
    const pad = (tMax - tMin) * 0.08;  // room around the line, in the scale's own units
    tMin -= pad; tMax += pad;
    const sx = function (x) { return left + ((x - xMin) / (xMax - xMin)) * (width - left - right); };
    const sy = function (y) { return top + (1 - (t(y) - tMin) / (tMax - tMin)) * (height - top - bottom); };

    // Labels closer than a line of text to one already placed are dropped (never the ends).
    const labels = [];
    ticks(low, high, opts.log).forEach(function (value, i, all) {
      const end = i === 0 || i === all.length - 1;
      const near = labels.some(function (placed) { return Math.abs(sy(placed) - sy(value)) < 14; });
      if (end || !near) labels.push(value);
    });
    canvas.dataset.labels = JSON.stringify(labels.map(format));

    ctx.strokeStyle = "#e3e7ef";
    ctx.lineWidth = 1;
    ctx.beginPath();
    labels.forEach(function (y) { ctx.moveTo(left, sy(y)); ctx.lineTo(width - right, sy(y)); });
    ctx.stroke();

    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    labels.forEach(function (y) { ctx.fillText(format(y), left - 6, sy(y)); });
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
