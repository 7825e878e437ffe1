// The dashboard in a real browser (issue 14), with an admin token: the page
// asks for it, actions work with it from the page and are refused without it,
// from another origin or Host, and an open page reconnects to a new supervisor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminRequest, browserFor, openPage, startDashboard, TOKEN } from './helpers/dashboard.js';

const WAIT = { timeout: 15_000 };

test('with a token: the page asks for it and the stream refuses without it; actions work with it from the page, and are refused without it or from another origin', {
  timeout: 120_000,
}, async (t) => {
  const browser = await browserFor(t);
  const srv = await startDashboard(t, 'dash-token', { token: TOKEN });
  const port = srv.adminPort;
  const host = `127.0.0.1:${port}`;

  // the data needs the token; the page itself holds none and is served
  assert.equal((await adminRequest(port, { path: '/events' })).status, 401);
  assert.equal((await adminRequest(port, { path: '/' })).status, 200);

  const { page } = await openPage(browser);
  await page.goto(srv.url);
  await page.waitForSelector('#login:not([hidden])', WAIT);
  assert.equal(await page.getAttribute('#conn', 'data-state'), 'denied');
  assert.equal(await page.locator('#workers tbody tr').count(), 0);

  // a wrong token is refused, the right one connects
  await page.fill('#token', 'not-the-token-0000000000');
  await page.click('#login button');
  await page.waitForSelector('#login-error:text("refused")', WAIT);
  await page.fill('#token', TOKEN);
  await page.click('#login button');
  await page.waitForSelector('#conn[data-state="live"]', WAIT);
  await page.waitForSelector('#controls:not([hidden])', WAIT);
  assert.equal(await page.isVisible('#readonly'), false);

  // scale from the page: confirmation, then the outcome
  await page.fill('#scale-n', '3');
  await page.click('#scale button');
  await page.waitForSelector('#confirm[open]', WAIT);
  assert.match(await page.textContent('#confirm-text'), /Scale from 2 to 3 workers/);
  await page.click('#confirm-ok');
  await page.waitForSelector('#outcome[data-ok="true"]:text("Scaled from 2 to 3 workers")', { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelectorAll('#workers tbody tr').length === 3, null, WAIT);
  await page.waitForSelector('#events tr[data-kind="scale"]', WAIT);

  // a cancelled action does nothing
  await page.click('#reload');
  await page.waitForSelector('#confirm[open]', WAIT);
  await page.click('#confirm button[value="cancel"]');
  await page.waitForSelector('#outcome:text("cancelled")', WAIT);
  assert.deepEqual((await srv.status()).reloads, { ok: 0, failed: 0 });

  // reload from the page
  await page.click('#reload');
  await page.click('#confirm-ok');
  await page.waitForSelector('#outcome[data-ok="true"]:text("Reloaded")', { timeout: 40_000 });
  assert.deepEqual((await srv.status()).reloads, { ok: 1, failed: 0 });

  // refused: no token; a wrong one; the right one from another origin; not JSON
  const post = (headers, body = '{}') =>
    adminRequest(port, {
      method: 'POST',
      path: '/actions/scale',
      headers: { host, 'content-type': 'application/json', ...headers },
      body,
    });
  const bearer = { authorization: `Bearer ${TOKEN}` };
  assert.equal((await post({}, '{"workers":2}')).status, 401);
  assert.equal((await post({ authorization: 'Bearer wrong-token-000000000000' }, '{"workers":2}')).status, 401);
  assert.equal((await post({ ...bearer, origin: 'http://evil.example' }, '{"workers":2}')).status, 403);
  assert.equal((await post({ ...bearer, origin: `http://127.0.0.1:${port + 1}` }, '{"workers":2}')).status, 403);
  assert.equal((await post({ ...bearer, host: `evil.example:${port}` }, '{"workers":2}')).status, 403);
  const form = await post({ ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, 'workers=2');
  assert.equal(form.status, 415);
  const bad = await post(bearer, '{"workers":0}');
  assert.equal(bad.status, 422);
  assert.equal(JSON.parse(bad.body).error.code, 'ERR_CONTROL_BAD_REQUEST');
  assert.equal((await srv.status()).wanted, 3, 'nothing refused changed the server');

  // stop from the page: the supervisor drains and exits 0; the page says it stopped
  await page.click('#stop');
  await page.click('#confirm-ok');
  await page.waitForSelector('#outcome:text("Stopping")', WAIT);
  const { code } = await srv.exit(30_000);
  assert.equal(code, 0);
  await page.waitForSelector('#conn[data-state="stopped"]', WAIT);

  // a new supervisor on the same address: the open page reconnects by itself (same token) and shows it
  const again = await startDashboard(t, 'dash-token', { token: TOKEN, adminPort: port });
  await page.waitForSelector('#conn[data-state="live"]', WAIT);
  await page.waitForFunction(
    (pid) => document.querySelector('#facts').textContent.includes(String(pid)),
    again.pid,
    WAIT,
  );
  await page.waitForFunction(() => document.querySelectorAll('#workers tbody tr').length === 2, null, WAIT);
});
