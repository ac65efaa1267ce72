// Parallel coordinates (SVG): one axis per searched hyperparameter and one for the final (or
// predicted final) loss; each trial a line coloured from best (green) to worst (red).
import { esc, num, PARAM_LABELS } from './format.js';

const LOG_PARAMS = new Set(['peak_lr', 'weight_decay']);

export function parallel(el, rows, params, onPick) {
  const items = rows.filter((r) => r.final && r.final.loss != null);
  const axes = [...params, 'final_loss'];
  const value = (r, p) => (p === 'final_loss' ? r.final.loss : r.trial.hyperparameters[p]);
  const W = Math.max(480, el.clientWidth || 800), H = 300, M = { l: 40, r: 40, t: 30, b: 30 };
  const scales = axes.map((p) => {
    const vals = items.map((r) => value(r, p));
    if (p === 'model_size') {
      const cats = [...new Set(vals)].sort();
      return { cats, pos: (v) => (cats.length > 1 ? cats.indexOf(v) / (cats.length - 1) : 0.5), label: (t) => cats[Math.round(t * (cats.length - 1))] };
    }
    const log = LOG_PARAMS.has(p) && vals.every((v) => v > 0);
    const f = (v) => (log ? Math.log10(v) : v);
    const lo = Math.min(...vals.map(f)), hi = Math.max(...vals.map(f));
    const span = hi - lo || 1;
    return { pos: (v) => (f(v) - lo) / span, label: (t) => num(log ? 10 ** (lo + t * span) : lo + t * span, 3) };
  });
  const x = (i) => M.l + (i * (W - M.l - M.r)) / Math.max(1, axes.length - 1);
  const y = (t) => H - M.b - t * (H - M.t - M.b);
  const losses = items.map((r) => r.final.loss);
  const best = Math.min(...losses), worst = Math.max(...losses);
  const color = (l) => `hsl(${Math.round(120 * (1 - (l - best) / ((worst - best) || 1)))}, 70%, 42%)`;
  let svg = `<svg width="${W}" height="${H}" class="parallel" data-lines="${items.length}">`;
  items.forEach((r, k) => {
    const pts = axes.map((p, i) => `${x(i).toFixed(1)},${y(scales[i].pos(value(r, p))).toFixed(1)}`).join(' ');
    svg += `<polyline data-row="${k}" points="${pts}" fill="none" stroke="${color(r.final.loss)}" stroke-width="1.5" stroke-dasharray="${r.final.kind === 'predicted' ? '5 3' : ''}"><title>${esc(r.short_id)} ${esc(r.label)}: ${num(r.final.loss, 5)} (${r.final.kind})</title></polyline>`;
  });
  axes.forEach((p, i) => {
    svg += `<line x1="${x(i)}" y1="${M.t}" x2="${x(i)}" y2="${H - M.b}" stroke="#333"/>`;
    svg += `<text x="${x(i)}" y="${M.t - 10}" text-anchor="middle">${esc(PARAM_LABELS[p] || 'final loss')}</text>`;
    for (const t of [0, 0.5, 1]) {
      svg += `<text x="${x(i) + 4}" y="${y(t) + 4}" class="tick">${esc(scales[i].label(t))}</text>`;
    }
  });
  el.innerHTML = `${svg}</svg>`;
  el.querySelectorAll('polyline').forEach((line) => {
    line.addEventListener('click', () => onPick(items[Number(line.dataset.row)]));
  });
}
