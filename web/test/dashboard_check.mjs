// Drives Debian's Chromium (playwright-core) through the dashboard of a running sweep, for
// tests/dashboard_browser_test.cc, which serves the sweep from a real augur-scheduler and feeds
// it points, zooms the loss curves and pages through the ranking. Talks to the test on stdout: "READY" when it waits for a live update (the test
// then sends points), and a last line "RESULT ok" or "RESULT fail: why".
//
//   node dashboard_check.mjs URL SWEEP_ID RUNNING_TRIAL SCREENSHOT_DIR CHROMIUM
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';

const [url, sweepId, runningTrial, outDir, executablePath] = process.argv.slice(2);
const DEADLINE_MS = 30000;

function fail(why) {
  throw new Error(why);
}

// Pixels of the chart's canvas in a series colour (saturated), not axes or grid (grey).
async function colouredPixels(page, selector) {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(`${sel} canvas`);
    if (!canvas) return -1;
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
    }
    return n;
  }, selector);
}

async function expectChart(page, selector, what) {
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.points) > 0,
    selector, { timeout: DEADLINE_MS }).catch(() => fail(`${what} (${selector}) got no points`));
  const pixels = await colouredPixels(page, selector);
  if (pixels < 100) fail(`${what} (${selector}) drew ${pixels} coloured pixels`);
  const points = await page.$eval(selector, (el) => el.dataset.points);
  console.log(`${what}: ${points} points, ${pixels} coloured pixels`);
}

// Points of the loss-curve chart's data with x in [from, to].
function pointsWithin(page, from, to) {
  return page.evaluate(([a, b]) => document.querySelector('#curves').chart.data.slice(1)
    .reduce((n, [xs]) => n + xs.filter((x) => x >= a && x <= b).length, 0), [from, to]);
}

// Zooming the loss curves to a tenth of their x-range (as a drag does: uPlot's setScale) asks
// the server for that range and draws more points inside it than the overview had; a
// double-click goes back to the overview.
async function checkZoom(page) {
  const ranged = [];
  page.on('request', (r) => { if (/\/curves\?.*x_from=/.test(r.url())) ranged.push(r.url()); });
  const [from, to] = await page.evaluate(() => {
    const xs = document.querySelector('#curves').chart.data.slice(1).flatMap(([x]) => x);
    const lo = Math.min(...xs), hi = Math.max(...xs);
    return [lo + (hi - lo) * 0.1, lo + (hi - lo) * 0.2];
  });
  const before = await pointsWithin(page, from, to);
  await page.evaluate(([a, b]) => document.querySelector('#curves').chart.setScale('x', { min: a, max: b }), [from, to]);
  await page.waitForFunction(() => {
    const el = document.querySelector('#curves');
    return el.dataset.range && el.dataset.drawn;
  }, null, { timeout: DEADLINE_MS }).catch(() => fail('zooming drew no range'));
  const after = await pointsWithin(page, from, to);
  if (!ranged.length) fail('zooming made no range request');
  if (!(after > before)) fail(`zooming drew ${after} points in the range, the overview ${before}`);
  console.log(`zoom: ${ranged.length} range request(s) (${ranged[0].replace(/^.*\/curves/, 'curves')}); points in [${from.toPrecision(4)}, ${to.toPrecision(4)}]: ${before} in the overview, ${after} zoomed`);
  await page.locator('#curves').screenshot({ path: `${outDir}/zoomed.png` });
  await page.dblclick('#curves .u-over');
  await page.waitForFunction(() => !document.querySelector('#curves').dataset.range && document.querySelector('#curves').dataset.drawn,
    null, { timeout: DEADLINE_MS }).catch(() => fail('a double-click did not go back to the overview'));
}

// The sweep page's ranking, two rows a page (?trial_page=2): "trials 1–2 of 4", ranks 1 and 2,
// the loss curves of those two trials; "next" asks the server for the next page (offset=2) and
// shows ranks 3 and 4 with their curves; "previous" goes back.
async function checkPaging(page, url, sweepId) {
  const pageOf = () => page.evaluate(() => ({
    range: document.querySelector('.pager .page-range')?.textContent.trim(),
    ranks: [...document.querySelectorAll('#ranking tbody tr td.rank')].map((td) => Number(td.textContent)),
    trials: [...document.querySelectorAll('#ranking tbody tr')].map((tr) => tr.dataset.trial).sort(),
    curves: document.querySelector('#curves')?.chart?.series.slice(1).map((s) => s.label.split(' ')[0]),
    prev: document.querySelector('.pager .prev')?.disabled,
    next: document.querySelector('.pager .next')?.disabled,
  }));
  const waitFor = (range) => page.waitForFunction(
    (r) => document.querySelector('.pager .page-range')?.textContent.trim() === r && document.querySelector('#curves')?.dataset.drawn,
    range, { timeout: DEADLINE_MS }).catch(async () => fail(`paging: wanted "${range}", have ${JSON.stringify(await pageOf())}`));
  const asked = [];
  page.on('request', (r) => { if (/\/sweeps\/[^/?]+(\/curves)?\?/.test(r.url())) asked.push(r.url().replace(/^.*\/sweeps\/[^/?]+/, '')); });
  await page.goto(`${url}?trial_page=2#/sweep/${sweepId}`);
  await waitFor('trials 1–2 of 4');
  const first = await pageOf();
  if (first.ranks.join(',') !== '1,2' || !first.prev || first.next) fail(`first page: ${JSON.stringify(first)}`);
  const drawsItsRows = (p) => [...p.curves].sort().join(',') === p.trials.join(',');
  if (!drawsItsRows(first)) fail(`first page: rows ${first.trials}, curves ${first.curves}`);
  await page.click('.pager .next');
  await waitFor('trials 3–4 of 4');
  const second = await pageOf();
  if (second.ranks.join(',') !== '3,4' || second.prev || !second.next) fail(`second page: ${JSON.stringify(second)}`);
  if (!drawsItsRows(second) || second.trials.some((t) => first.trials.includes(t))) {
    fail(`second page: rows ${second.trials}, curves ${second.curves}; the first ${first.trials}`);
  }
  if (!asked.some((u) => /^\?offset=2&page_size=2/.test(u)) || !asked.some((u) => /^\/curves\?.*offset=2&page_size=2/.test(u))) {
    fail(`"next" asked for ${asked.join(' ')}`);
  }
  await page.screenshot({ path: `${outDir}/sweep_page2.png`, fullPage: true });
  await page.click('.pager .prev');
  await waitFor('trials 1–2 of 4');
  console.log(`paging: "${first.range}" (curves ${first.curves}) -> "${second.range}" (curves ${second.curves}) -> back; requests ${asked.join(' ')}`);
}

async function progressOf(page, trial) {
  return page.$eval(`#ranking tr[data-trial="${trial}"] td.progress`, (td) => td.textContent.trim());
}

async function run() {
  if (!executablePath || !existsSync(executablePath)) {
    fail(`Chromium not found at '${executablePath}': install Debian's chromium (./setup.sh does)`);
  }
  mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} for ${r.url()}`); });

    // The sweeps list, one sweep a page (the test submitted another, newer sweep): the older
    // one appears when asked for.
    await page.goto(`${url}?sweeps_page=1`);
    await page.waitForSelector('table.sweeps tbody tr[data-sweep]', { timeout: DEADLINE_MS });
    if (await page.$(`tr[data-sweep="${sweepId}"]`)) fail('the first page of one sweep shows the older sweep');
    await page.click('button.older');
    await page.waitForSelector(`tr[data-sweep="${sweepId}"]`, { timeout: DEADLINE_MS })
      .catch(() => fail('"show older sweeps" did not show the older sweep'));
    console.log(`sweeps: ${await page.$$eval('table.sweeps tbody tr', (trs) => trs.length)} rows after asking for older ones`);
    await page.goto(url);
    await page.waitForSelector(`tr[data-sweep="${sweepId}"]`, { timeout: DEADLINE_MS });
    await page.screenshot({ path: `${outDir}/sweeps.png` });

    // The sweep: ranking, curves, loss against the learning rate.
    await page.goto(`${url}#/sweep/${sweepId}`);
    await page.waitForSelector('#ranking tbody tr', { timeout: DEADLINE_MS });
    const ranks = await page.$$eval('#ranking tbody tr td.rank', (tds) => tds.map((td) => Number(td.textContent)));
    if (ranks.length < 2) fail(`ranking has ${ranks.length} rows`);
    if (ranks.join(',') !== [...ranks].sort((a, b) => a - b).join(',')) fail(`ranking not in rank order: ${ranks}`);
    const states = await page.$$eval('#ranking tbody tr td.state', (tds) => tds.map((td) => td.textContent));
    if (!states.includes('completed') || !states.includes('running')) fail(`ranking states: ${states}`);
    console.log(`ranking: ${ranks.length} rows, states ${states.join(' ')}`);
    await expectChart(page, '#curves', 'loss curves');
    await expectChart(page, '#normalized', 'normalized curves');
    await expectChart(page, '[data-param="peak_lr"]', 'final loss against the learning rate');
    // Hovering a drawn line names its trial.
    const spot = await page.evaluate(() => {
      const c = document.querySelector('#curves canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const r = c.getBoundingClientRect();
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) {
          const p = i / 4;
          return { x: r.left + ((p % c.width) * r.width) / c.width, y: r.top + (Math.floor(p / c.width) * r.height) / c.height };
        }
      }
      return null;
    });
    if (!spot) fail('no drawn line to hover');
    await page.mouse.move(spot.x, spot.y);
    await page.waitForFunction(() => {
      const tip = document.querySelector('#curves .tip');
      return tip && tip.style.display === 'block' && /t\d+/.test(tip.textContent);
    }, null, { timeout: DEADLINE_MS }).catch(() => fail('hovering a line named no trial'));
    console.log(`hover: ${await page.$eval('#curves .tip', (t) => t.textContent)}`);
    await checkZoom(page);
    // Sorting by a column reorders the rows; the filter hides the others.
    await page.click('#ranking th[data-key="trial"]');
    const ids = await page.$$eval('#ranking tbody tr', (trs) => trs.map((tr) => tr.dataset.trial));
    if (ids.join(',') !== [...ids].sort().join(',')) fail(`sorting by trial gave ${ids}`);
    await page.fill('#ranking .filter', runningTrial);
    await page.waitForFunction(() => document.querySelectorAll('#ranking tbody tr').length === 1,
      null, { timeout: DEADLINE_MS }).catch(() => fail('the filter did not leave one row'));
    await page.fill('#ranking .filter', '');
    await page.screenshot({ path: `${outDir}/sweep.png`, fullPage: true });

    // A live update: the test sends points once we say READY; the row must change without a reload.
    const before = await progressOf(page, runningTrial);
    const updates = Number(await page.$eval('#live', (el) => el.dataset.updates || 0));
    await page.evaluate(() => { window.notReloaded = true; });
    console.log(`READY progress of ${runningTrial} is ${before}`);
    await page.waitForFunction(([trial, old]) => {
      const td = document.querySelector(`#ranking tr[data-trial="${trial}"] td.progress`);
      return td && td.textContent.trim() !== old;
    }, [runningTrial, before], { timeout: DEADLINE_MS }).catch(() => fail(`no live update of ${runningTrial} (still ${before})`));
    if (!(await page.evaluate(() => window.notReloaded))) fail('the page reloaded');
    const after = Number(await page.$eval('#live', (el) => el.dataset.updates || 0));
    console.log(`live update: ${runningTrial} ${before} -> ${await progressOf(page, runningTrial)}; events ${updates} -> ${after}`);

    // A trial page.
    await page.goto(`${url}#/sweep/${sweepId}/trial/${runningTrial}`);
    await expectChart(page, '#trial-curve', 'trial curve');
    await page.screenshot({ path: `${outDir}/trial.png`, fullPage: true });
    await checkPaging(page, url, sweepId);
    if (errors.length) fail(`page errors: ${errors.join('; ')}`);
  } finally {
    await browser.close();
  }
}

run().then(() => console.log('RESULT ok'), (e) => console.log(`RESULT fail: ${e.message}`));
