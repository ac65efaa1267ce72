// Bundles the dashboard page: src/main.js (and uPlot with its CSS) into OUTDIR/app.js and
// OUTDIR/app.css, minified, for dashboard/CMakeLists.txt to embed. Usage: node build.mjs OUTDIR
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const outdir = process.argv[2] || 'dist';
mkdirSync(outdir, { recursive: true });
await esbuild.build({
  entryPoints: ['src/main.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outfile: `${outdir}/app.js`,
  logLevel: 'warning',
});
copyFileSync('src/index.html', `${outdir}/index.html`);
