// A sweep: its live ranking and events, the loss curves, the normalized view against the
// reference, final loss against each searched hyperparameter, and parallel coordinates.
import { get, post } from './api.js';
import { chart, yRangeAfter } from './charts.js';
import { esc, num, pct, time, PARAM_LABELS } from './format.js';
import { parallel } from './parallel.js';
import { style, smooth } from './styles.js';
import { rankingTable } from './table.js';

const views = new Map();  // Per sweep: page, sort, filter and chart settings survive live updates.

// Ranking rows a page (the server sends at most 1,000); ?trial_page=N in the page's address
// (before the #) sets it (tests use 2).
const PAGE_SIZE = Math.min(1000, Number(new URLSearchParams(location.search).get('trial_page')) || 100);

function viewOf(id) {
  if (!views.has(id)) views.set(id, { offset: 0, sort: 'rank', desc: false, filter: '', smoothing: 0, logX: false, logY: false });
  return views.get(id);
}

export async function sweepPage(main, sweepId) {
  const view = viewOf(sweepId);
  const base = `/api/v1/sweeps/${encodeURIComponent(sweepId)}`;
  // The offset is read once: a click on "next" while this renders draws again after it.
  let page = `offset=${view.offset}&page_size=${PAGE_SIZE}`;
  let s = await get(`${base}?${page}`);
  if (!s.rows.length && s.offset > 0) {  // The sweep has fewer trials now: its last page.
    view.offset = Math.max(0, Math.floor((s.total_trials - 1) / PAGE_SIZE) * PAGE_SIZE);
    page = `offset=${view.offset}&page_size=${PAGE_SIZE}`;
    s = await get(`${base}?${page}`);
  }
  // The charts show this page's trials (and, normalized, the reference runs).
  const paged = s.total_trials > s.rows.length;
  const points = pointsOverride() || pointsPerCurve(main.clientWidth || 1000, s.rows.length);
  const [curves, normalized, zoomed] = await Promise.all([
    get(`${base}/curves?points=${points}&${page}`), get(`${base}/curves?points=${points}&normalized=1&${page}`),
    view.zoom ? get(rangePath(base, points, page, view.zoom)) : null]);
  const sweep = s.sweep;
  const counts = Object.entries(sweep.trial_counts || {}).map(([k, v]) => `${esc(k)} ${v}`).join(', ');
  main.innerHTML = `<h1>${esc(sweep.spec.name)} <small>${esc(sweep.sweep_id)}</small>
      <span class="state ${esc(sweep.state)}">${esc(sweep.state)}</span></h1>
    <p>${counts}; compute spent ${pct(s.progress)} of running every trial to the end.
      ${sweep.note ? `Note: ${esc(sweep.note)}` : ''}</p>
    <p class="tags">${(sweep.tags || []).map((t) => `<span class="tag">${esc(t)} <a href="#" data-untag="${esc(t)}" title="remove">×</a></span>`).join(' ')}
      <input class="new-tag" placeholder="add tag" size="10"> <span class="action-result"></span></p>
    <h2>Ranking</h2><div class="controls pager"><button class="prev">previous</button>
      <span class="page-range">${pageRange(s)}</span><button class="next">next</button></div><div id="ranking"></div>
    <h2>Events</h2><div id="events"></div>
    <h2>Loss curves</h2>
    <div class="controls">smoothing <input type="range" id="smoothing" min="0" max="0.99" step="0.01" value="${view.smoothing}">
      <label><input type="checkbox" id="logx" ${view.logX ? 'checked' : ''}> log x</label>
      <label><input type="checkbox" id="logy" ${view.logY ? 'checked' : ''}> log y</label>
      <span class="hint">drag to zoom (finer points are fetched for the range), double-click to reset; hover names a trial, click opens it; × marks where a trial was stopped</span>
      <span class="zoom-error error"></span></div>
    <div id="curves" class="chart"></div>
    <h2>Normalized loss against the reference</h2><div id="normalized" class="chart"></div>
    <h2>Final loss against each searched hyperparameter${paged ? ' (this page\'s trials)' : ''}</h2><div id="vs-params"></div>
    <div id="parallel-section" ${s.searched.length < 2 ? 'hidden' : ''}><h2>Parallel coordinates${paged ? ' (this page\'s trials)' : ''}</h2><div id="parallel"></div></div>`;
  pager(main, s, view);
  const rerender = (v, refocus) => {
    rankingTable(main.querySelector('#ranking'), s.rows, sweepId, v, rerender, paged);
    if (refocus) {
      const input = main.querySelector('#ranking .filter');
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    }
  };
  rerender(view, false);
  events(main.querySelector('#events'), s.events);
  const open = (shortId) => { location.hash = `#/sweep/${encodeURIComponent(sweepId)}/trial/${shortId}`; };
  const curvesEl = main.querySelector('#curves');
  let shown = zoomed || curves;
  const drawCurves = () => lossCurves(curvesEl, shown, view, open, zoomTo);
  // A zoom asks the server for the range at the same points per curve, so detail the overview
  // hid appears; a double-click goes back to the overview.
  const zoomTo = async (range) => {
    view.zoom = range;
    if (!range) {
      if (shown !== curves) { shown = curves; drawCurves(); }
      return;
    }
    curvesEl.dataset.rangeRequests = String(Number(curvesEl.dataset.rangeRequests || 0) + 1);
    try {
      const data = await get(rangePath(base, points, page, range));
      if (view.zoom !== range) return;  // Another zoom, or a reset, came after this one.
      shown = data;
      drawCurves();
    } catch (e) {
      main.querySelector('.zoom-error').textContent = `zoom: ${e.message}`;
    }
  };
  drawCurves();
  for (const [id, key] of [['#smoothing', 'smoothing'], ['#logx', 'logX'], ['#logy', 'logY']]) {
    main.querySelector(id).addEventListener('input', (e) => {
      view[key] = e.target.type === 'checkbox' ? e.target.checked : Number(e.target.value);
      drawCurves();
    });
  }
  normalizedCurves(main.querySelector('#normalized'), normalized, open);
  paramPlots(main.querySelector('#vs-params'), s, open);
  if (s.searched.length >= 2) parallel(main.querySelector('#parallel'), s.rows, s.searched, (r) => open(r.short_id));
  tagging(main, base);
  return { crumbs: [[null, sweepId]] };
}

// "trials 101-200 of 100,000".
function pageRange(s) {
  const n = (v) => v.toLocaleString('en-US');
  if (!s.rows.length) return `no trials of ${n(s.total_trials)}`;
  return `trials ${n(s.offset + 1)}–${n(s.offset + s.rows.length)} of ${n(s.total_trials)}`;
}

// Previous and next page of the ranking: the page is drawn again for the new offset (main.js
// listens for augur:render), keeping the scroll position.
function pager(main, s, view) {
  const prev = main.querySelector('.pager .prev'), next = main.querySelector('.pager .next');
  prev.disabled = s.offset === 0;
  next.disabled = s.next_offset == null;
  const go = (offset) => {
    view.offset = offset;
    view.zoom = null;
    window.dispatchEvent(new Event('augur:render'));
  };
  prev.addEventListener('click', () => go(Math.max(0, s.offset - PAGE_SIZE)));
  next.addEventListener('click', () => go(s.next_offset));
}

// Points per curve to ask the server for: enough for the chart's width, within a budget of
// POINT_BUDGET per chart (1,000 trials get 200 points each: the overlapping lines of a large
// sweep show no more, and the page stays quick). bench/dashboard asks the same.
const POINT_BUDGET = 200000;
export function pointsPerCurve(width, trials) {
  return Math.max(50, Math.min(Math.round(width * 1.5), Math.floor(POINT_BUDGET / Math.max(1, trials))));
}

// ?points=N or ?points=all in the page's address (before the #) replaces the budget: how
// bench/dashboard loads the page with every point as its baseline.
function pointsOverride() {
  const p = new URLSearchParams(location.search).get('points');
  return p === 'all' || /^[0-9]+$/.test(p || '') ? p : null;
}

function rangePath(base, points, page, [from, to]) {
  return `${base}/curves?points=${points}&${page}&x_from=${from}&x_to=${to}`;
}

function events(el, list) {
  if (!list.length) { el.innerHTML = '<p>No stops, pauses or failures yet.</p>'; return; }
  el.innerHTML = `<table class="events"><thead><tr><th>when</th><th>event</th><th>trial</th><th>at</th><th>reason</th></tr></thead><tbody>${
    list.map((e) => `<tr class="${esc(e.kind)}"><td>${time(e.unix_ms)}</td><td>${esc(e.kind)}</td><td>${esc(e.short_id)}</td><td>${pct(e.at_fraction)}</td><td class="reason">${esc(e.reason)}</td></tr>`).join('')}</tbody></table>`;
}

// `data` is the overview, or a zoomed range (data.x_range) with el.dataset.range set.
function lossCurves(el, data, view, open, onZoom) {
  const series = data.curves.map((c, i) => ({
    label: `${c.short_id} ${c.label}`, x: c.x, y: smooth(c.y, view.smoothing), from: c.range_from_x,
    ...style(i), ends: c.end ? [c.end] : [],
  }));
  const range = data.x_range;
  if (range) el.dataset.range = range.join(','); else delete el.dataset.range;
  chart(el, {
    title: `Training loss (${data.curves.length} trials, at most ${data.points_per_curve} points each${range ? ' in the zoomed range' : ''})`,
    xLabel: 'tokens', yLabel: 'training loss (nats/token)', logX: view.logX, logY: view.logY,
    series, xRange: range, yRange: yRangeAfter(series, view.logY, range),
    onPick: (i) => open(data.curves[i].short_id), onZoom,
  });
}

function normalizedCurves(el, data, open) {
  const series = data.curves.map((c, i) => ({
    label: `${c.short_id} ${c.label}${c.is_reference ? ' (reference)' : ''}`, x: c.x, y: c.y, from: c.range_from_x,
    ...style(i), width: c.is_reference ? 3 : 1.2, ends: c.end ? [c.end] : [],
  }));
  const ref = data.curves.find((c) => c.is_reference && c.state === 'completed');
  const band = ref && data.band != null
    ? { x: ref.x, lo: ref.y.map((y) => y - data.band), hi: ref.y.map((y) => y + data.band) } : null;
  chart(el, {
    title: `L(t)/L(T) against t/T${band ? `; band: reference ± median deviation ${num(data.band, 3)}` : ''}`,
    xLabel: 'training fraction t/T', yLabel: 'L(t) / L(T)', series, band,
    yRange: yRangeAfter(series, false), onPick: (i) => open(data.curves[i].short_id),
  });
}

// One chart per searched numeric hyperparameter: final (filled) or predicted final (hollow)
// loss with its interval, one line per combination of the other searched hyperparameters.
function paramPlots(el, s, open) {
  const numeric = s.searched.filter((p) => p !== 'model_size');
  el.innerHTML = numeric.map((p) => `<div class="chart" data-param="${p}"></div>`).join('') ||
    '<p>No numeric hyperparameter is searched.</p>';
  const rows = s.rows.filter((r) => r.final && r.final.loss != null && !r.trial.is_reference);
  for (const p of numeric) {
    const others = s.searched.filter((q) => q !== p);
    const groups = new Map();
    for (const r of rows) {
      const key = others.map((q) => `${PARAM_LABELS[q] || q}=${r.trial.hyperparameters[q]}`).join(' ') || 'all trials';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(r);
    }
    const series = [], bars = [];
    let i = 0;
    for (const [key, list] of groups) {
      list.sort((a, b) => a.trial.hyperparameters[p] - b.trial.hyperparameters[p]);
      const st = style(i++);
      series.push({ label: key, x: list.map((r) => r.trial.hyperparameters[p]), y: list.map((r) => r.final.loss), ...st, width: 1.5, rows: list });
      for (const kind of ['actual', 'predicted']) {
        const sub = list.filter((r) => r.final.kind === kind);
        series.push({
          label: `${key} (${kind === 'actual' ? 'final' : 'predicted final'})`, points: true, stroke: st.stroke,
          fill: kind === 'actual' ? st.stroke : '#fff', width: 0.001, x: sub.map((r) => r.trial.hyperparameters[p]),
          y: sub.map((r) => r.final.loss), rows: sub,
          ends: sub.filter((r) => r.ended_at_fraction != null).map((r) => ({ x: r.trial.hyperparameters[p], y: r.final.loss, label: `stopped at ${pct(r.ended_at_fraction)}` })),
        });
        for (const r of sub) bars.push({ x: r.trial.hyperparameters[p], lo: r.final.low, hi: r.final.high, stroke: st.stroke });
      }
    }
    chart(el.querySelector(`[data-param="${p}"]`), {
      title: `Final loss against ${PARAM_LABELS[p] || p} (hollow: predicted for stopped trials, bars: interval, ×: stopped)`,
      xLabel: PARAM_LABELS[p] || p, yLabel: 'final loss (nats/token)', logX: p === 'peak_lr' || p === 'weight_decay',
      series, bars, height: 300, yRange: spanOf([...series.flatMap((q) => q.y), ...bars.flatMap((b) => [b.lo, b.hi])]),
      onPick: (k) => { if (series[k].rows.length === 1) open(series[k].rows[0].short_id); },
    });
  }
}

// [lo, hi] of the finite values, padded 5%, so that interval bars are not cut; null if none.
function spanOf(values) {
  const v = values.filter((x) => x != null && isFinite(x));
  if (!v.length) return null;
  const lo = Math.min(...v), hi = Math.max(...v), pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.01 || 1;
  return [lo - pad, hi + pad];
}

function tagging(main, base) {
  const out = main.querySelector('.action-result');
  const send = async (body) => {
    try { await post(`${base}/tags`, body); out.textContent = 'saved'; } catch (e) { out.textContent = e.message; }
  };
  main.querySelector('.new-tag').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target.value.trim()) send({ add: [e.target.value.trim()] });
  });
  main.querySelectorAll('[data-untag]').forEach((a) => a.addEventListener('click', (e) => {
    e.preventDefault();
    send({ remove: [a.dataset.untag] });
  }));
}
