// The live ranking as a sortable, filterable table: the columns of `augur top`.
import { count, duration, esc, loss, num, pct } from './format.js';

export const COLUMNS = [
  { key: 'rank', title: '#', value: (r) => r.rank, cell: (r) => r.rank },
  { key: 'trial', title: 'trial', value: (r) => r.short_id, cell: (r, sweep) => `<a href="#/sweep/${encodeURIComponent(sweep)}/trial/${esc(r.short_id)}">${esc(r.short_id)}</a>` },
  { key: 'hyper', title: 'hyperparameters', value: (r) => r.label, cell: (r) => esc(r.label) },
  { key: 'progress', title: 'progress', value: (r) => r.progress, cell: (r) => `<span class="bar"><span style="width:${Math.round((r.progress || 0) * 100)}%"></span></span> ${pct(r.progress)}` },
  { key: 'loss', title: 'loss', value: (r) => r.loss, cell: (r) => loss(r.loss) },
  { key: 'predicted', title: 'predicted final', value: (r) => (r.final && r.final.kind === 'predicted' ? r.final.loss : null), cell: (r) => (r.final && r.final.kind === 'predicted' ? loss(r.final.loss) : '-') },
  { key: 'interval', title: 'interval', value: (r) => (r.final ? r.final.low : null), cell: (r) => (r.final && r.final.low != null ? `[${loss(r.final.low)}, ${loss(r.final.high)}]` : '') },
  { key: 'dev', title: 'dev', value: (r) => r.deviation_in_sigmas ?? r.deviation, cell: (r) => (r.deviation_in_sigmas != null ? `${num(r.deviation_in_sigmas, 2)}σ` : r.deviation != null ? num(r.deviation, 3) : '') },
  { key: 'speed', title: 'tok/s', value: (r) => r.tokens_per_second, cell: (r) => (r.tokens_per_second > 0 ? count(r.tokens_per_second) : '') },
  { key: 'eta', title: 'ETA', value: (r) => r.eta_seconds, cell: (r) => duration(r.eta_seconds) },
  { key: 'state', title: 'state', value: (r) => r.state, cell: (r) => `<span class="state ${esc(r.state)}">${esc(r.state)}</span>` },
  { key: 'why', title: 'why stopped', value: (r) => r.why_stopped, cell: (r) => `<span title="${esc(r.why_stopped)}">${esc(r.why_stopped)}</span>` },
];

// view: {sort: key, desc: bool, filter: text}; changed(view) is called on clicks and typing.
// `paged`: rows are one page of the ranking, which sorting and filtering do not leave.
export function rankingTable(el, rows, sweepId, view, changed, paged = false) {
  const col = COLUMNS.find((c) => c.key === view.sort) || COLUMNS[0];
  const words = view.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = rows.filter((r) => {
    const text = `${r.short_id} ${r.label} ${r.state} ${r.why_stopped}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  const cmp = (a, b) => {
    const x = col.value(a), y = col.value(b);
    if (x == null && y == null) return 0;
    if (x == null) return 1;
    if (y == null) return -1;
    return (x < y ? -1 : x > y ? 1 : 0) * (view.desc ? -1 : 1);
  };
  shown.sort(cmp);
  const head = COLUMNS.map((c) => `<th data-key="${c.key}" class="${c.key === col.key ? (view.desc ? 'desc' : 'asc') : ''}">${esc(c.title)}</th>`).join('');
  const body = shown.map((r) => `<tr data-trial="${esc(r.short_id)}">${COLUMNS.map((c) => `<td class="${c.key}">${c.cell(r, sweepId)}</td>`).join('')}</tr>`).join('');
  el.innerHTML = `<div class="controls"><input class="filter" placeholder="filter: e.g. running, lr=0.003, t01" value="${esc(view.filter)}"> <span class="count">${shown.length} of ${rows.length} trials${paged ? ' on this page (sorting and filtering stay within it)' : ''}</span></div>
    <table class="ranking"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  el.querySelectorAll('th').forEach((th) => th.addEventListener('click', () => {
    view.desc = view.sort === th.dataset.key ? !view.desc : false;
    view.sort = th.dataset.key;
    changed(view);
  }));
  const input = el.querySelector('.filter');
  input.addEventListener('input', () => { view.filter = input.value; changed(view, true); });
}
