// An evidence pack on a phone (issue 29): the analyst connects Fjällbacka
// through the sandbox, waits for the first sync, starts a pack of March
// 2025 from the company page, watches its progress page (which reloads
// itself, script or not) and downloads the ZIP.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { login } = require('../lib/harness');
const { FJ, ANNA, PHONE, visible, noAxe, Stage } = require('../lib/demo');

const SHOTS = process.env.SHOTS_DIR || path.join(require('node:os').tmpdir(), 'shots-pack29');
let srv;
const stage = new Stage();

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // A slow upstream, so the pack's progress can be seen while it runs.
  srv = await stage.start({ name: 'evidence', env: { BILAG_SANDBOX_LATENCY: '150ms' } });
});

after(() => stage.stop());

async function connect(page, acc) {
  await login(page, srv.base, srv.logins.analyst);
  await page.getByRole('link', { name: FJ.name }).click();
  const id = Number(new URL(page.url()).pathname.split('/')[2]);
  await page.getByRole('button', { name: /^(Activate|Request access|Create a new consent link)$/ }).click();
  const link = await page.evaluate(() => {
    const re = /https?:\/\/[^\s"]+\/connect\/[A-Za-z0-9_-]{20,}/;
    for (const el of document.querySelectorAll('input, textarea, a')) {
      const m = (el.value || el.getAttribute('href') || '').match(re);
      if (m) return m[0];
    }
    return null;
  });
  const p = acc.page;
  await p.goto(link);
  await p.getByRole('button', { name: /^(Give permission|Ge behörighet)$/ }).first().click();
  await p.waitForURL((u) => u.origin === srv.sandbox);
  if (await p.getByRole('heading', { name: 'Log in' }).isVisible()) {
    await p.getByLabel('E-mail').fill(ANNA.email);
    await p.getByLabel('Password').fill(ANNA.password);
    await p.getByRole('button', { name: 'Log in', exact: true }).click();
  }
  await p.getByRole('radio', { name: new RegExp(FJ.name) }).check();
  await p.getByRole('button', { name: 'Continue' }).click();
  await p.getByRole('button', { name: 'Allow' }).click();
  await p.waitForURL((u) => u.origin === srv.base && u.pathname === '/connect-result');
  for (let i = 0; i < 240; i++) {
    await page.goto(`${srv.base}/companies/${id}/vouchers`);
    if (await page.locator('table.vouchers tbody tr').count() > 0 && await page.locator('[data-sync-poll]').count() === 0) return id;
    await page.waitForTimeout(500);
  }
  throw new Error('the first sync did not finish');
}

test('an evidence pack of a month: progress on a phone, then the ZIP', async () => {
  const analyst = await stage.open('evidence-analyst', PHONE);
  const acc = await stage.open('evidence-accountant');
  const page = analyst.page;
  const id = await connect(page, acc);
  await page.goto(`${srv.base}/companies/${id}`);
  await page.locator('#evidence-link').click();
  await visible(page.getByRole('heading', { level: 1, name: 'Evidence pack' }));
  await page.locator('input[name="month"]').fill('2025-03');
  await page.screenshot({ path: path.join(SHOTS, '1-form.png'), fullPage: true });
  await noAxe(page, 'the evidence pack form');
  await page.getByRole('button', { name: 'Build the pack' }).click();
  await visible(page.locator('#pack-state'));
  assert.doesNotMatch(await page.locator('#pack-state').innerText(), /\b0 of 0\b/, 'never "0 of 0"');
  const progress = page.locator('#pack-progress');
  if (await progress.count() > 0) {
    await page.screenshot({ path: path.join(SHOTS, '2-progress.png'), fullPage: true });
    // No axe here: the page reloads itself under it every 2 s.
    assert.match(await progress.innerText(), /(of [1-9]\d* (vouchers read|documents packed)|Reading the chart of accounts)/);
  }
  // The page reloads itself until the pack is ready.
  await page.locator('#pack-download').waitFor({ state: 'visible', timeout: 120000 });
  await page.screenshot({ path: path.join(SHOTS, '3-ready.png'), fullPage: true });
  await noAxe(page, 'the ready pack');
  const href = await page.locator('#pack-download').getAttribute('href');
  const resp = await page.request.get(srv.base + href);
  assert.equal(resp.status(), 200);
  assert.equal(resp.headers()['content-type'], 'application/zip');
  const body = await resp.body();
  assert.equal(body.subarray(0, 2).toString(), 'PK', 'the download is a ZIP');
  assert.deepEqual(analyst.problems, []);
});
