#!/usr/bin/env node
// Builds the dashboard page (run by `npm run build`): src/dashboard/page/
// index.html with its CSS, its script and the uPlot charting library inlined,
// into dist/dashboard/page.html — one file, no CDN, nothing for the user to
// build — plus dist/dashboard/page.csp, the Content-Security-Policy that
// allows exactly these inline scripts and styles (by hash) and nothing else.
// Prints the page's weight.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src/dashboard/page');
const out = join(root, 'dist/dashboard');
const require = createRequire(import.meta.url);
const uplot = dirname(require.resolve('uplot/package.json'));

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('scripts/page.js: esbuild not installed; the page script and style stay unminified');
}

async function minify(code, loader) {
  if (!esbuild) return code;
  const result = await esbuild.transform(code, { loader, minify: true, target: 'es2020', legalComments: 'none' });
  return result.code.trim();
}

const parts = {
  'uplot.css': readFileSync(join(uplot, 'dist/uPlot.min.css'), 'utf8').trim(),
  'uplot.js': readFileSync(join(uplot, 'dist/uPlot.iife.min.js'), 'utf8').trim(),
  'page.css': await minify(readFileSync(join(src, 'page.css'), 'utf8'), 'css'),
  'page.js': await minify(readFileSync(join(src, 'page.js'), 'utf8'), 'js'),
};
const version = JSON.parse(readFileSync(join(uplot, 'package.json'), 'utf8')).version;
parts['uplot.js'] = `/*! uPlot ${version} (MIT) https://github.com/leeoniya/uPlot */${parts['uplot.js']}`;

const hashes = { script: [], style: [] };
const html = readFileSync(join(src, 'index.html'), 'utf8').replace(
  /<(script|style)>\/\*@inline ([\w.]+)\*\/<\/\1>/g,
  (_m, tag, name) => {
    const body = parts[name];
    if (body === undefined) throw new Error(`scripts/page.js: nothing to inline for ${name}`);
    // The HTML parser would end the element at the first closing tag inside it.
    if (new RegExp(`</${tag}`, 'i').test(body)) throw new Error(`scripts/page.js: ${name} contains </${tag}`);
    hashes[tag].push(`'sha256-${createHash('sha256').update(body).digest('base64')}'`);
    return `<${tag}>${body}</${tag}>`;
  },
);
if (html.includes('/*@inline')) throw new Error('scripts/page.js: an @inline marker was left in the page');

const csp = [
  "default-src 'none'",
  `script-src ${hashes.script.join(' ')}`,
  `style-src ${hashes.style.join(' ')}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'page.html'), html);
writeFileSync(join(out, 'page.csp'), `${csp}\n`);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const size = Buffer.byteLength(html);
if (process.env.SPINDLE_PAGE_QUIET !== '1')
  console.log(
    `dashboard page: ${kib(size)} (${kib(gzipSync(html).length)} gzipped; uPlot ${kib(parts['uplot.js'].length + parts['uplot.css'].length)}, page script ${kib(parts['page.js'].length)}, style ${kib(parts['page.css'].length)})`,
  );
