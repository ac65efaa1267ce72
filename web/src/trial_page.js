// A trial: hyperparameters, its curve with the milestones where it was judged, the prediction
// made at each milestone, decisions and reasons, and the actions (stop, pause, resume).
import { get, post } from './api.js';
import { chart, yRangeAfter } from './charts.js';
import { esc, loss, num, pct, time } from './format.js';
import { style } from './styles.js';

export async function trialPage(main, sweepId, trialId) {
  const base = `/api/v1/sweeps/${encodeURIComponent(sweepId)}/trials/${encodeURIComponent(trialId)}`;
  const t = await get(`${base}?points=2000`);
  const row = t.row || {};
  const trial = row.trial || {};
  const decisions = t.decisions.map((d) => {
    const p = d.prediction || {};
    const i = p.final_loss_interval || {};
    return `<tr><td>${pct(d.milestone_fraction)}</td><td>${esc(d.action)}</td><td>${loss(p.final_loss)}</td>
      <td>${i.high > 0 ? `[${loss(i.low)}, ${loss(i.high)}]` : ''}</td><td>${p.deviation ? num(p.deviation, 3) : ''}</td>
      <td>${loss(d.compared_loss)}</td><td>${esc(d.reason)}</td><td>${time(d.decided_unix_ms)}</td></tr>`;
  }).join('');
  const h = trial.hyperparameters || {};
  main.innerHTML = `<h1>Trial ${esc(trialId)} <span class="state ${esc(row.state)}">${esc(row.state)}</span></h1>
    <p class="hyper">${esc(t.hyperparameters)}${trial.is_reference ? ' (reference run)' : ''}</p>
    <div class="actions"><button data-act="stop">stop</button><button data-act="pause">pause</button>
      <button data-act="resume">resume</button> <span class="action-result"></span></div>
    <table class="kv"><tr><th>model size</th><td>${esc(h.model_size)}</td><th>learning rate</th><td>${num(h.peak_lr)}</td>
      <th>tau</th><td>${num(h.tau)}</td><th>weight decay</th><td>${num(h.weight_decay)}</td></tr>
      <tr><th>batch</th><td>${h.batch_sequences}</td><th>seed</th><td>${h.seed}</td>
      <th>progress</th><td>${pct(row.progress)}</td><th>loss</th><td>${loss(row.loss)}</td></tr>
      <tr><th>final</th><td>${row.final ? `${loss(row.final.loss)} (${row.final.kind})` : '-'}</td>
      <th>interval</th><td>${row.final && row.final.low != null ? `[${loss(row.final.low)}, ${loss(row.final.high)}]` : '-'}</td>
      <th>worker</th><td>${esc(trial.worker_id)}</td><th>attempts</th><td>${trial.attempts ?? ''}</td></tr></table>
    ${row.why_stopped ? `<p class="why"><b>Why it ended:</b> ${esc(row.why_stopped)}</p>` : ''}
    <h2>Loss</h2><div id="trial-curve" class="chart"></div>
    <h2>Predictions and decisions at each milestone</h2>
    <table class="decisions"><thead><tr><th>milestone</th><th>decision</th><th>predicted final</th><th>interval</th>
      <th>deviation</th><th>compared with</th><th>reason</th><th>when</th></tr></thead>
      <tbody>${decisions || '<tr><td colspan="8">no milestone reached yet</td></tr>'}</tbody></table>
    <details><summary>configuration</summary><pre>${esc(JSON.stringify(t.config, null, 2))}</pre></details>`;
  const c = t.curve;
  const total = trial.controls ? trial.controls.total_steps * trial.controls.batch_tokens : 0;
  const markers = t.decisions.map((d) => ({ x: d.milestone_fraction * total, label: d.action }));
  const series = [{ label: trialId, x: c.x, y: c.y, from: c.range_from_x, ...style(0), ends: c.end ? [c.end] : [] }];
  if (total > 0 && markers.length) {
    const [lo, hi] = yRangeAfter(series, false) || [0, 1];
    for (const m of markers) series.push({ label: `milestone ${m.label}`, x: [m.x, m.x], y: [lo, hi], stroke: '#999', dash: [3, 3], width: 1 });
  }
  chart(main.querySelector('#trial-curve'), {
    title: `${trialId}: training loss (${c.points_total} points, ${c.x.length} drawn)`, xLabel: 'tokens', yLabel: 'training loss (nats/token)',
    series, yRange: yRangeAfter(series.slice(0, 1), false),
  });
  main.querySelectorAll('.actions button').forEach((b) => b.addEventListener('click', async () => {
    const out = main.querySelector('.action-result');
    try {
      await post(`${base}/${b.dataset.act}`, { reason: `${b.dataset.act} from the dashboard` });
      out.textContent = `${b.dataset.act}: done`;
    } catch (e) {
      out.textContent = e.message;
    }
  }));
  return { crumbs: [[`#/sweep/${encodeURIComponent(sweepId)}`, sweepId], [null, trialId]] };
}
