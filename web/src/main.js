// The dashboard page: a hash router over three pages, refreshed on live updates.
import { live, setToken, token } from './api.js';
import { esc } from './format.js';
import { sweepPage } from './sweep_page.js';
import { sweepsPage } from './sweeps_page.js';
import { trialPage } from './trial_page.js';
import './style.css';

const main = document.getElementById('main');
const liveEl = document.getElementById('live');
let rendering = null;
let again = false;

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'sweep' && parts[2] === 'trial') return () => trialPage(main, parts[1], parts[3]);
  if (parts[0] === 'sweep' && parts[1]) return () => sweepPage(main, parts[1]);
  return () => sweepsPage(main);
}

// Renders the current page; a request while one renders runs once after it.
async function render() {
  if (rendering) { again = true; return; }
  const y = window.scrollY;
  rendering = route()().then((page) => {
    const crumbs = (page && page.crumbs) || [];
    document.getElementById('crumbs').innerHTML = crumbs.map(([href, text]) => (href ? `<a href="${href}">${esc(text)}</a>` : esc(text))).join(' / ');
    window.scrollTo(0, y);
    main.dataset.rendered = String(Number(main.dataset.rendered || 0) + 1);
  }).catch((e) => {
    main.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  });
  await rendering;
  rendering = null;
  if (again) { again = false; render(); }
}

let source = null;
function connect() {
  if (source) source.close();
  source = live((version) => {
    liveEl.dataset.version = String(version);
    liveEl.dataset.updates = String(Number(liveEl.dataset.updates || 0) + 1);
    liveEl.textContent = `live (v${version})`;
    render();
  }, (state) => { liveEl.className = `live ${state}`; if (state !== 'live') liveEl.textContent = state; });
}

const tokenInput = document.getElementById('token');
tokenInput.value = token();
tokenInput.addEventListener('change', () => { setToken(tokenInput.value.trim()); connect(); render(); });
window.addEventListener('hashchange', () => { window.scrollTo(0, 0); render(); });
window.addEventListener('augur:render', () => render());  // A page asks to be drawn again.
connect();
render();
