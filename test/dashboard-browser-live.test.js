// The dashboard in a real browser (issue 14), live updates: Debian's headless
// chromium driven by playwright-core, against `spindle start --admin` running
// the dashboard app (2 workers, each running a pool named 'squares'). Every
// wait has a timeout; screenshots go to artifacts/dashboard/ (not committed).
// One scenario per file: each takes a while under load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spindle } from './helpers/control.js';
import { adminRequest, browserFor, openPage, rowPids, screenshot, startDashboard } from './helpers/dashboard.js';

const WAIT = { timeout: 15_000 };

test('the page: no console errors, one row per worker with its pid, the pool counter moving; reload and a killed worker show up live; read-only without a token; no sideways overflow at phone and desktop widths', {
  timeout: 120_000,
}, async (t) => {
  const browser = await browserFor(t);
  const srv = await startDashboard(t, 'dash-live');
  const { page, errors } = await openPage(browser);
  await page.goto(srv.url);
  await page.waitForSelector('#conn[data-state="live"]', WAIT);

  // one row per worker, with the pids the control plane reports
  const before = (await srv.status()).workers.map((w) => w.pid);
  await page.waitForFunction((n) => document.querySelectorAll('#workers tbody tr').length === n, 2, WAIT);
  assert.deepEqual(await rowPids(page), before);

  // without a token: read-only, and says so
  assert.equal(await page.isVisible('#controls'), false);
  assert.match(await page.textContent('#readonly'), /Read-only/);

  // the pools in the workers: their task counter grows while the app runs tasks
  const tasks = () =>
    page.$$eval('#pools tbody tr[data-pool="squares"] .tasks', (cells) =>
      cells.reduce((n, c) => n + Number.parseInt(c.textContent, 10), 0),
    );
  await page.waitForSelector('#pools tbody tr[data-pool="squares"]', WAIT);
  const first = await tasks();
  await page.waitForFunction(
    (n) =>
      [...document.querySelectorAll('#pools tbody tr[data-pool="squares"] .tasks')].reduce(
        (sum, c) => sum + Number.parseInt(c.textContent, 10),
        0,
      ) > n,
    first,
    WAIT,
  );
  assert.ok((await tasks()) > first);

  // `spindle reload`: new pids and a reload mark, without a refresh
  const reload = await spindle(t, srv.dir, ['reload', srv.name]);
  assert.equal(reload.code, 0, reload.stderr);
  await page.waitForFunction(
    (old) => {
      const pids = [...document.querySelectorAll('#workers tbody tr')].map((r) => Number(r.dataset.pid));
      return pids.length === old.length && pids.every((p) => p > 0 && !old.includes(p));
    },
    before,
    WAIT,
  );
  const reloaded = (await srv.status()).workers.map((w) => w.pid);
  assert.deepEqual(await rowPids(page), reloaded);
  await page.waitForSelector('#events tr[data-kind="reload-done"]', WAIT);
  await page.waitForFunction(
    () => /\breload\b/.test(document.querySelector('#chart-rss').dataset.marks ?? ''),
    null,
    WAIT,
  );

  // a killed worker: the crash (with its pid) and the restart show up, then the new pid
  const victim = reloaded[0];
  process.kill(victim, 'SIGKILL');
  await page.waitForSelector(`#events tr[data-kind="crash"]`, WAIT);
  assert.match(await page.textContent('#events tr[data-kind="crash"]'), new RegExp(`pid ${victim}\\b`));
  await page.waitForSelector('#events tr[data-kind="restart"]', WAIT);
  await page.waitForFunction(
    (v) => {
      const pid = Number(document.querySelector('#workers tbody tr[data-worker="1"]').dataset.pid);
      return pid > 0 && pid !== v;
    },
    victim,
    WAIT,
  );
  await page.waitForFunction(
    () => /\bcrash\b/.test(document.querySelector('#chart-rss').dataset.marks ?? ''),
    null,
    WAIT,
  );

  // actions are refused without a token, on loopback too
  const refused = await adminRequest(srv.adminPort, {
    method: 'POST',
    path: '/actions/reload',
    headers: { 'content-type': 'application/json', host: `127.0.0.1:${srv.adminPort}` },
    body: '{}',
  });
  assert.equal(refused.status, 403);

  // layout: screenshots at desktop and phone widths, no sideways overflow
  assert.equal(await screenshot(page, 'desktop.png'), false, 'the desktop page overflows sideways');
  const phone = await openPage(browser, { width: 390, height: 844, colorScheme: 'dark' });
  await phone.page.goto(srv.url);
  await phone.page.waitForSelector('#conn[data-state="live"]', WAIT);
  await phone.page.waitForSelector('#events tr[data-kind="crash"]', WAIT); // the history came with the first message
  assert.equal(await screenshot(phone.page, 'phone.png'), false, 'the phone page overflows sideways');
  assert.deepEqual(phone.errors, []);
  assert.deepEqual(errors, []);
});
