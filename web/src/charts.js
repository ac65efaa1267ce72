// Line and point charts on uPlot in its x-y mode (mode 2: each series with its own x values, as
// trials have different lengths), with what uPlot lacks for this: hover naming the nearest
// curve, markers (where trials stopped), a band, interval bars, and a y-range taken from the
// part of training after warmup.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { num } from './format.js';

const HOVER_RADIUS_PX = 24;

// spec: {title, xLabel, yLabel, logX, logY, xRange, yRange: [lo, hi] | null,
//   series: [{label, x, y, stroke, dash, width, points: bool, ends: [{x, y, label}]}],
//   band: {x, lo, hi} | null, bars: [{x, lo, hi, stroke}], onPick(seriesIndex),
//   onZoom([xMin, xMax] after a zoom, null after a double-click)}
// Returns the chart (also el.chart). el.dataset.points holds how many points it was given;
// once they are drawn, el.dataset.drawn is set and a performance mark "augur:drawn:NAME"
// (NAME: el.id or its data-param) is added, which tests and bench/dashboard wait for.
export function chart(el, spec, width) {
  el.innerHTML = '';
  delete el.dataset.drawn;
  const keep = (x, y) => x != null && y != null && isFinite(x) && isFinite(y) &&
    (!spec.logX || x > 0) && (!spec.logY || y > 0);
  const data = [null];
  let points = 0;
  for (const s of spec.series) {
    const xs = [], ys = [];
    for (let i = 0; i < s.x.length; i++) {
      if (keep(s.x[i], s.y[i])) { xs.push(s.x[i]); ys.push(s.y[i]); }
    }
    points += xs.length;
    data.push([xs, ys]);
  }
  el.dataset.points = String(points);
  el.dataset.series = String(spec.series.length);
  const tip = document.createElement('div');
  tip.className = 'tip';
  const opts = {
    mode: 2,
    title: spec.title,
    width: width || Math.max(360, el.clientWidth || 800),
    height: spec.height || 360,
    legend: { show: false },
    cursor: { drag: { x: true, y: true, uni: 20 }, points: { show: false } },
    scales: {
      x: { time: false, distr: spec.logX ? 3 : 1, range: spec.xRange ? () => spec.xRange : undefined },
      y: { distr: spec.logY ? 3 : 1, range: spec.yRange ? () => spec.yRange : undefined },
    },
    axes: [
      { label: spec.xLabel, values: (u, splits) => splits.map((v) => (v == null ? '' : num(v, 3))) },
      { label: spec.yLabel, size: 60, values: (u, splits) => splits.map((v) => (v == null ? '' : num(v, 4))) },
    ],
    series: [{}, ...spec.series.map((s) => ({
      label: s.label,
      stroke: s.stroke,
      dash: s.dash,
      width: s.width || 1.5,
      // Markers are drawn by drawMarkers: uPlot's own points need a path in x-y mode.
      paths: s.points ? () => null : uPlot.paths.linear(),
      points: { show: false },
      facets: [{ scale: 'x', auto: true }, { scale: 'y', auto: true }],
    }))],
    hooks: {
      drawClear: [(u) => drawBand(u, spec.band)],
      draw: [(u) => {
        drawBars(u, spec.bars || []); drawMarkers(u, spec.series, data); drawEnds(u, spec.series);
        if (points > 0 && !el.dataset.drawn) {
          el.dataset.drawn = String(performance.now());
          performance.mark(`augur:drawn:${el.id || el.dataset.param}`);
        }
      }],
      setCursor: [(u) => hover(u, data, spec, tip)],
      ready: [(u) => zoom.ready(u)],
      setScale: [(u, key) => { if (key === 'x') zoom.scaled(u); }],
    },
  };
  const zoom = zoomWatch(spec.onZoom);
  const u = new uPlot(opts, data, el);
  el.chart = u;
  u.over.addEventListener('dblclick', () => zoom.reset());
  u.over.appendChild(tip);
  u.over.addEventListener('click', () => {
    if (spec.onPick && tip.dataset.series) spec.onPick(Number(tip.dataset.series));
  });
  return u;
}

// Calls onZoom([min, max]) when the x-range changes from the one first drawn (a drag, or
// u.setScale), once the dragging settles; onZoom(null) on a double-click (back to the whole).
function zoomWatch(onZoom) {
  let first = null;
  let timer = null;
  return {
    ready(u) { first = [u.scales.x.min, u.scales.x.max]; },
    scaled(u) {
      const r = [u.scales.x.min, u.scales.x.max];
      if (!onZoom || !first || (r[0] === first[0] && r[1] === first[1])) return;
      clearTimeout(timer);
      timer = setTimeout(() => onZoom(r), 150);
    },
    reset() {
      clearTimeout(timer);
      if (onZoom) onZoom(null);
    },
  };
}

function px(u, x, y) {
  return [u.valToPos(x, 'x', true), u.valToPos(y, 'y', true)];
}

function drawBand(u, band) {
  if (!band || band.x.length < 2) return;
  const ctx = u.ctx;
  ctx.save();
  ctx.fillStyle = 'rgba(120, 120, 120, 0.18)';
  ctx.beginPath();
  band.x.forEach((x, i) => { const [a, b] = px(u, x, band.hi[i]); i ? ctx.lineTo(a, b) : ctx.moveTo(a, b); });
  for (let i = band.x.length - 1; i >= 0; i--) ctx.lineTo(...px(u, band.x[i], band.lo[i]));
  ctx.closePath();
  ctx.fill();
  ctx.restore();
}

// Runs draw(ctx) with a solid pen of `width` CSS pixels, restoring the canvas state after.
function withPen(u, width, draw) {
  const ctx = u.ctx;
  ctx.save();
  ctx.setLineDash([]);
  ctx.lineWidth = width * devicePixelRatio;
  draw(ctx);
  ctx.restore();
}

// Interval bars with caps.
function drawBars(u, bars) {
  withPen(u, 1.5, (ctx) => {
    const cap = 4 * devicePixelRatio;
    for (const b of bars) {
      if (b.lo == null || b.hi == null) continue;
      const [x, lo] = px(u, b.x, b.lo);
      const [, hi] = px(u, b.x, b.hi);
      ctx.strokeStyle = b.stroke;
      ctx.beginPath();
      ctx.moveTo(x, lo); ctx.lineTo(x, hi);
      ctx.moveTo(x - cap, lo); ctx.lineTo(x + cap, lo);
      ctx.moveTo(x - cap, hi); ctx.lineTo(x + cap, hi);
      ctx.stroke();
    }
  });
}

// Circles for point series: filled with `fill` (white for hollow ones).
function drawMarkers(u, series, data) {
  withPen(u, 2, (ctx) => series.forEach((s, k) => {
    if (!s.points) return;
    const [xs, ys] = data[k + 1];
    ctx.strokeStyle = s.stroke;
    ctx.fillStyle = s.fill || s.stroke;
    for (let i = 0; i < xs.length; i++) {
      const [x, y] = px(u, xs[i], ys[i]);
      ctx.beginPath();
      ctx.arc(x, y, 4.5 * devicePixelRatio, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }));
}

// A cross where a trial ended before its end (stopped, failed...).
function drawEnds(u, series) {
  withPen(u, 2, (ctx) => {
    const r = 5 * devicePixelRatio;
    for (const s of series) {
      for (const e of s.ends || []) {
        if (e.x == null || e.y == null) continue;
        const [x, y] = px(u, e.x, e.y);
        ctx.strokeStyle = s.stroke;
        ctx.beginPath();
        ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r);
        ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y - r);
        ctx.stroke();
        if (e.label) {
          ctx.fillStyle = '#333';
          ctx.font = `${11 * devicePixelRatio}px sans-serif`;
          ctx.textAlign = 'left';
          ctx.textBaseline = 'middle';
          ctx.fillText(e.label, x + 2 * r, y);
        }
      }
    }
  });
}

// Names the curve nearest the cursor (within HOVER_RADIUS_PX).
function hover(u, data, spec, tip) {
  const { left, top } = u.cursor;
  tip.style.display = 'none';
  delete tip.dataset.series;
  if (left == null || left < 0) return;
  let best = null;
  for (let s = 1; s < data.length; s++) {
    const [xs, ys] = data[s];
    for (let i = 0; i < xs.length; i++) {
      const dx = u.valToPos(xs[i], 'x') - left, dy = u.valToPos(ys[i], 'y') - top;
      const d = dx * dx + dy * dy;
      if (!best || d < best.d) best = { d, s, i };
    }
  }
  if (!best || best.d > HOVER_RADIUS_PX * HOVER_RADIUS_PX) return;
  const s = spec.series[best.s - 1];
  tip.dataset.series = String(best.s - 1);
  tip.textContent = `${s.label}: ${num(data[best.s][1][best.i], 5)} at ${num(data[best.s][0][best.i], 4)}`;
  tip.style.display = 'block';
  tip.style.left = `${Math.min(left + 12, u.over.clientWidth - 200)}px`;
  tip.style.top = `${top + 12}px`;
}

// [lo, hi] over the points at or after each series' `from` x (the end of warmup), and within
// `xRange` when given, padded 3%.
export function yRangeAfter(series, log, xRange) {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      const y = s.y[i];
      if (y == null || !isFinite(y) || (log && !(y > 0))) continue;
      if (s.from != null && s.x[i] < s.from) continue;
      if (xRange && (s.x[i] < xRange[0] || s.x[i] > xRange[1])) continue;
      lo = Math.min(lo, y); hi = Math.max(hi, y);
    }
  }
  if (!isFinite(lo)) return null;
  if (log) return [lo / 1.03, hi * 1.03];
  const pad = (hi - lo) * 0.03 || Math.abs(hi) * 0.01 || 1;
  return [lo - pad, hi + pad];
}
