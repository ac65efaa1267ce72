// The browser half of bench/dashboard (docs/benchmarks.md, "Dashboard"): Debian's Chromium,
// driven by playwright-core, loads the sweep page of a large sweep as the product does
// (downsampled for the chart's width) and, as the baseline in the same run, with every point
// (?points=all), and times each from navigation start until the loss-curve chart and the
// loss-vs-LR plot have drawn their data (the performance marks charts.js adds:
// "augur:drawn:curves", "augur:drawn:peak_lr"). Payloads are the API answers received before
// then (resource timing): as sent (gzip) and decoded (JSON). Each load is in a fresh browser
// context (empty cache); with RUNS > 1 the loads alternate and the median time is reported.
// FIRST_RENDER_TIMELINE=1 also prints when each request started, got its first byte and ended.
//
//   node first_render.mjs URL SWEEP_ID CHROMIUM [RUNS]
import { chromium } from 'playwright-core';

const [url, sweepId, executablePath, runsArg] = process.argv.slice(2);
const RUNS = Math.max(1, Number(runsArg || 1));
const DEADLINE_MS = 15 * 60 * 1000;  // Every point of 10 M is hundreds of megabytes to parse.
const MARKS = ['augur:drawn:curves', 'augur:drawn:peak_lr'];

async function load(browser, pageUrl) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pageUrl, { waitUntil: 'commit' });
    await page.waitForFunction((marks) => marks.every((m) => performance.getEntriesByName(m).length),
      MARKS, { timeout: DEADLINE_MS, polling: 100 });
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return await page.evaluate((marks) => {
      // performance.now() counts from navigation start.
      const drawn = Math.max(...marks.map((m) => performance.getEntriesByName(m)[0].startTime));
      const resources = performance.getEntriesByType('resource');
      const api = resources.filter((e) => e.name.includes('/api/v1/sweeps/') && e.responseEnd <= drawn);
      const ms = (t) => t.toFixed(0);
      return {
        seconds: drawn / 1000,
        requests: api.length,
        gzip: api.reduce((n, e) => n + e.encodedBodySize, 0),
        json: api.reduce((n, e) => n + e.decodedBodySize, 0),
        points: Number(document.querySelector('#curves').dataset.points),
        timeline: [
          ...resources.map((e) => `${new URL(e.name).pathname}${new URL(e.name).search} ${ms(e.startTime)}/${ms(e.responseStart)}/${ms(e.responseEnd)}`),
          ...marks.map((m) => `${m} ${ms(performance.getEntriesByName(m)[0].startTime)}`),
        ],
      };
    }, MARKS);
  } finally {
    await context.close();
  }
}

function line(what, r) {
  const mb = (bytes, width) => (bytes / 1e6).toFixed(2).padStart(width);
  return `  ${what.padEnd(34)} ${r.seconds.toFixed(3).padStart(8)} s  ${mb(r.json, 10)} MB JSON  ` +
    `${mb(r.gzip, 9)} MB gzip  (${r.points} points drawn, ${r.requests} requests)`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const hash = `#/sweep/${encodeURIComponent(sweepId)}`;
    const runs = { downsampled: [], all: [] };
    for (let i = 0; i < RUNS; i++) {
      runs.downsampled.push(await load(browser, `${url}${hash}`));
      runs.all.push(await load(browser, `${url}?points=all${hash}`));
    }
    if (process.env.FIRST_RENDER_TIMELINE) {
      for (const r of [...runs.downsampled, ...runs.all]) console.log(`  timeline (ms: start/first byte/end): ${r.timeline.join('; ')}`);
    }
    const pick = (rs) => ({ ...rs[0], seconds: median(rs.map((r) => r.seconds)) });
    const d = pick(runs.downsampled), a = pick(runs.all);
    console.log(`time to first render in Chromium (navigation start to the loss curves and the loss-vs-LR plot drawn; median of ${RUNS}):`);
    console.log(line('downsampled (the page as it is)', d));
    console.log(line('every point (?points=all)', a));
    console.log(`every point / downsampled in the browser: ${(a.seconds / d.seconds).toFixed(1)}x the time, ` +
      `${(a.json / d.json).toFixed(0)}x the JSON, ${(a.gzip / d.gzip).toFixed(0)}x gzip`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.log(`first_render failed: ${e.message}`);
  process.exit(1);
});
