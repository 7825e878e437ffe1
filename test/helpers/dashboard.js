// Helpers for the dashboard's browser tests: a `spindle start --admin` of the
// dashboard app, a shared headless chromium (scripts/browser.js), pages that
// record their console errors, and plain HTTP requests to the admin listener.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { launchBrowser } from '../../scripts/browser.js';
import { fixtures, root } from './cli.js';
import { home, spindle, startNamed } from './control.js';
import { freePort } from './load.js';

export const dashboardApp = join(fixtures, 'dashboard-app.mjs');
/** Where the tests' screenshots go (gitignored; CI may keep them as artifacts). */
export const artifacts = join(root, 'artifacts', 'dashboard');

/** A token long enough for the admin listener. */
export const TOKEN = 'test-token-0123456789abcdef';

/** Starts `spindle start dashboard-app.mjs --admin 127.0.0.1:PORT` (a free port unless given) under `name`; resolves once it serves. */
export async function startDashboard(t, name, { workers = 2, token, adminPort: port } = {}) {
  const dir = home(t);
  const adminPort = port ?? (await freePort());
  const env = token ? { SPINDLE_ADMIN_TOKEN: token } : {};
  const p = await startNamed(t, dir, name, {
    script: dashboardApp,
    workers,
    args: ['--admin', `127.0.0.1:${adminPort}`],
    env,
  });
  await p.waitFor(/admin endpoint at http:\/\/127\.0\.0\.1:\d+/, 20_000);
  const status = async () => (await spindle(t, dir, ['status', name, '--json'])).json;
  return { ...p, dir, name, adminPort, url: `http://127.0.0.1:${adminPort}/`, status };
}

/** One browser for a test file; closed after it. */
export async function browserFor(t) {
  const browser = await launchBrowser();
  t.after(() => browser.close());
  return browser;
}

/** A new page (own context: own sessionStorage) that records console errors and page errors. */
export async function openPage(browser, { width = 1280, height = 900, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors, close: () => context.close() };
}

/** The pids in the workers table, in row order. */
export function rowPids(page) {
  return page.$$eval('#workers tbody tr', (rows) => rows.map((r) => Number(r.dataset.pid)));
}

/** Saves a full-page screenshot into the artifacts folder; resolves whether the page overflows sideways. */
export async function screenshot(page, file) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, file), fullPage: true });
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

/** A raw HTTP request to the admin listener: resolves { status, body }. */
export function adminRequest(port, { method = 'GET', path = '/', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${path}: no answer within 20 s`)));
    req.once('error', reject);
    req.end(body);
  });
}
