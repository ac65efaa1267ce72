// Screenshots of each dashboard page for docs/ (small: 1100 px wide, viewport height only).
//   node screenshots.mjs URL SWEEP_ID TRIAL OUTDIR [CHROMIUM]
import { chromium } from 'playwright-core';

const [url, sweepId, trial, outDir, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
const shots = [
  ['dashboard-sweeps.png', '', 'tr[data-sweep]'],
  ['dashboard-sweep.png', `#/sweep/${sweepId}`, '#curves[data-points]'],
  ['dashboard-trial.png', `#/sweep/${sweepId}/trial/${trial}`, '#trial-curve[data-points]'],
];
for (const [name, hash, ready] of shots) {
  await page.goto(`${url}${hash}`);
  await page.waitForSelector(ready, { timeout: 30000 });
  await page.screenshot({ path: `${outDir}/${name}` });
}
// The plots further down the sweep page.
await page.goto(`${url}#/sweep/${sweepId}`);
await page.waitForSelector('#normalized[data-points]', { timeout: 30000 });
await page.$eval('#normalized', (el) => el.scrollIntoView());
await page.screenshot({ path: `${outDir}/dashboard-plots.png` });
await browser.close();
