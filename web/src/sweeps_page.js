// The sweeps list: state, progress, best trial, tags, newest first, PAGE_SIZE at a time; "show
// older sweeps" asks for the next page, and the pages shown so far survive live refreshes.
import { get } from './api.js';
import { esc, loss, pct, time } from './format.js';

// ?sweeps_page=N in the page's address (before the #) sets the page size (tests use 1).
const PAGE_SIZE = Number(new URLSearchParams(location.search).get('sweeps_page')) || 200;
let pagesShown = 1;

function row({ sweep, progress, best }) {
  const counts = Object.entries(sweep.trial_counts || {}).map(([k, v]) => `${esc(k)} ${v}`).join(', ');
  const bestText = best ? `<a href="#/sweep/${encodeURIComponent(sweep.sweep_id)}/trial/${esc(best.short_id)}">${esc(best.short_id)}</a> ${esc(best.label)} ${loss(best.final ? best.final.loss : best.loss)}${best.final && best.final.kind === 'predicted' ? ' (predicted)' : ''}` : '-';
  return `<tr data-sweep="${esc(sweep.sweep_id)}">
    <td><a href="#/sweep/${encodeURIComponent(sweep.sweep_id)}">${esc(sweep.sweep_id)}</a></td>
    <td>${esc(sweep.spec.name)}</td>
    <td><span class="state ${esc(sweep.state)}">${esc(sweep.state)}</span></td>
    <td><span class="bar"><span style="width:${Math.round(progress * 100)}%"></span></span> ${pct(progress)}</td>
    <td>${counts}</td><td>${bestText}</td>
    <td>${(sweep.tags || []).map((t) => `<span class="tag">${esc(t)}</span>`).join(' ')}</td>
    <td>${time(sweep.created_unix_ms)}</td></tr>`;
}

export async function sweepsPage(main) {
  const sweeps = [];
  let token = '';
  for (let page = 0; page < pagesShown; page++) {
    const data = await get(`/api/v1/sweeps?page_size=${PAGE_SIZE}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`);
    sweeps.push(...data.sweeps);
    token = data.next_page_token;
    if (!token) break;
  }
  main.innerHTML = `<h1>Sweeps</h1>
    <table class="sweeps"><thead><tr><th>sweep</th><th>name</th><th>state</th><th>compute spent</th>
    <th>trials</th><th>best trial</th><th>tags</th><th>created</th></tr></thead>
    <tbody>${sweeps.map(row).join('') || '<tr><td colspan="8">no sweeps yet: augur submit SPEC.yaml</td></tr>'}</tbody></table>
    ${token ? `<p>The newest ${sweeps.length} sweeps. <button class="older">show ${PAGE_SIZE} older sweeps</button></p>` : ''}`;
  const older = main.querySelector('.older');
  if (older) {
    older.addEventListener('click', () => {
      pagesShown++;
      sweepsPage(main);
    });
  }
  return { crumbs: [] };
}
