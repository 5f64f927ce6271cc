// The portal's pages on a phone and on a desktop (issue 25, items 7 and
// 12): one binary, one browser. The analyst connects Fjällbacka through the
// sandbox; then the voucher list is read on a 390×844 phone, where it opens
// on its first voucher with the filters folded behind "Filter (n)" and the
// header's languages and log-out folded behind a menu, with and without
// JavaScript, and on a desktop, where everything stays in view.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { login } = require('../lib/harness');
const { FJ, ANNA, PHONE, visible, noAxe, Stage } = require('../lib/demo');

let srv;
const state = {};

const stage = new Stage();
const open = (role, opts) => stage.open(role, opts);

before(async () => {
  srv = await stage.start({ name: 'portal' });
});

after(() => stage.stop());

// waitSynced reloads the list (bounded) until the first sync has finished.
async function waitSynced(page, companyID) {
  for (let i = 0; i < 90; i++) {
    await page.goto(`${srv.base}/companies/${companyID}/vouchers`);
    if (await page.locator('table.vouchers tbody tr').count() > 0 && await page.locator('[data-sync-poll]').count() === 0) return;
    await page.waitForTimeout(500);
  }
  throw new Error('the first sync did not finish');
}

// summary is the <summary> of the fold whose container matches sel.
const summary = (page, sel) => page.locator(`${sel} > summary`);

test('setup: the analyst connects Fjällbacka and its first sync ends', async () => {
  const analyst = await open('portal-analyst');
  const acc = await open('portal-accountant');
  state.analyst = analyst;
  await analyst.step('company', async (p) => {
    await login(p, srv.base, srv.logins.analyst);
    await p.getByRole('link', { name: FJ.name }).click();
    await visible(p.getByRole('heading', { level: 1, name: FJ.name }));
    state.fjID = Number(new URL(p.url()).pathname.split('/')[2]);
    state.fjURL = p.url();
    await p.getByRole('button', { name: 'Request access' }).click();
    state.link = await p.locator('#new-link').inputValue();
  });
  await acc.step('visma', async (p) => {
    await p.goto(state.link);
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
  });
  await analyst.step('synced', async (p) => waitSynced(p, state.fjID));
  assert.deepEqual([...analyst.problems, ...acc.problems], []);
});

test('item 7: on a phone the list opens on its first voucher; the filters fold behind "Filter (n)", languages and log-out behind a menu', async () => {
  const phone = await open('portal-phone', PHONE);
  const list = `${srv.base}/companies/${state.fjID}/vouchers`;
  await phone.step('list', async (p) => {
    await login(p, srv.base, srv.logins.viewer);
    await p.goto(list);
    const row = await p.locator('table.vouchers tbody tr').first().boundingBox();
    assert.ok(row.y + row.height <= PHONE.viewport.height, `the first voucher ends at y = ${Math.round(row.y + row.height)} of ${PHONE.viewport.height}`);
    await visible(summary(p, 'details.filterbox').filter({ hasText: /^Filter$/ }));
    assert.equal(await p.getByLabel('Amount').isVisible(), false, 'the filter fields are unfolded on a phone');
    assert.equal(await p.getByRole('link', { name: 'Svenska' }).isVisible(), false, 'the languages are in the header on a phone');
    assert.equal(await p.getByRole('button', { name: 'Log out' }).isVisible(), false, 'Log out is in the header on a phone');
    const w = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= PHONE.viewport.width, `the list is ${w}px wide on a phone`);
    await noAxe(p, 'the vouchers list on a phone');
  }, { fullPage: false });
  await phone.step('menu-open', async (p) => {
    await summary(p, 'details.menu').click();
    await visible(p.getByRole('link', { name: 'Svenska' }));
    await visible(p.getByRole('button', { name: 'Log out' }));
    await noAxe(p, 'the header menu open on a phone');
  }, { fullPage: false });
  await phone.step('filter-open', async (p) => {
    await p.goto(list);
    await summary(p, 'details.filterbox').click();
    await p.getByLabel('Amount').fill('1250');
    await p.getByLabel('Has documents').check();
    await p.getByRole('button', { name: 'Filter', exact: true }).click();
    await p.waitForURL((u) => u.searchParams.get('amount') === '1250');
    // Active filters keep the fold open and say how many they are.
    await visible(summary(p, 'details.filterbox').filter({ hasText: 'Filter (2)' }));
    await visible(p.getByLabel('Amount'));
    assert.equal(await p.getByLabel('Amount').inputValue(), '1250');
  }, { fullPage: false });
  assert.deepEqual(phone.problems, []);
});

test('item 7: without JavaScript the phone\'s folds open all the same', async () => {
  const phone = await open('portal-phone-nojs', { ...PHONE, javaScriptEnabled: false });
  await phone.step('folds', async (p) => {
    await login(p, srv.base, srv.logins.viewer);
    await p.goto(`${srv.base}/companies/${state.fjID}/vouchers`);
    await summary(p, 'details.filterbox').click();
    await visible(p.getByLabel('Amount'));
    await summary(p, 'details.menu').click();
    await visible(p.getByRole('button', { name: 'Log out' }));
  }, { fullPage: false });
  assert.deepEqual(phone.problems, []);
});

test('item 7: on a desktop the filters, the languages and log-out are in view, with nothing to unfold', async () => {
  const desk = await open('portal-desktop');
  await desk.step('list', async (p) => {
    await login(p, srv.base, srv.logins.viewer);
    await p.goto(`${srv.base}/companies/${state.fjID}/vouchers`);
    for (const label of ['Number', 'Amount', 'Text', 'Fiscal year', 'From', 'To']) {
      await visible(p.getByLabel(label, { exact: true }), `${label} is folded on a desktop`);
    }
    await visible(p.getByRole('link', { name: 'Svenska' }));
    await visible(p.getByRole('button', { name: 'Log out' }));
    assert.equal(await summary(p, 'details.filterbox').isVisible(), false, 'a desktop has a filter fold');
    assert.equal(await summary(p, 'details.menu').isVisible(), false, 'a desktop has a header menu');
    await noAxe(p, 'the vouchers list on a desktop');
  });
  assert.deepEqual(desk.problems, []);
});

// rows groups the boxes of the filter fields by the line they stand on.
function lines(boxes) {
  const out = [];
  for (const b of [...boxes].sort((x, y) => x.input.y - y.input.y)) {
    const line = out.find((l) => Math.abs(l[0].input.y - b.input.y) < 30 || Math.abs(l[0].label.y - b.label.y) < 30);
    if (line) line.push(b); else out.push([b]);
  }
  return out;
}

test('item 12: on a desktop the filter labels and fields line up', async () => {
  const desk = await open('portal-desktop-filters');
  await desk.step('filters', async (p) => {
    await login(p, srv.base, srv.logins.viewer);
    await p.goto(`${srv.base}/companies/${state.fjID}/vouchers`);
    const boxes = [];
    for (const name of ['Number', 'Amount', 'Text', 'Fiscal year', 'From', 'To']) {
      const input = await p.getByLabel(name, { exact: true }).boundingBox();
      const label = await p.locator('form.filters label', { hasText: new RegExp(`^${name}$`) }).boundingBox();
      boxes.push({ name, input, label });
    }
    for (const line of lines(boxes)) {
      const names = line.map((b) => b.name).join(', ');
      const spread = (f) => Math.max(...line.map(f)) - Math.min(...line.map(f));
      assert.ok(spread((b) => b.label.y) <= 1, `the labels of ${names} stand ${spread((b) => b.label.y)}px apart`);
      assert.ok(spread((b) => b.input.y) <= 1, `the fields of ${names} stand ${spread((b) => b.input.y)}px apart`);
    }
  });
  assert.deepEqual(desk.problems, []);
});

test('item 12: a new link\'s ready messages show whole, on a desktop and on a phone', async () => {
  for (const [size, opts] of [['desktop', {}], ['phone', PHONE]]) {
    const who = await open(`portal-messages-${size}`, opts);
    await who.step('messages', async (p) => {
      await login(p, srv.base, srv.logins.analyst);
      await p.goto(`${srv.base}/`);
      await p.getByRole('link', { name: 'Norrsken Design AB' }).first().click();
      if (await p.locator('#new-link').count() === 0) await p.getByRole('button', { name: 'Request access' }).click();
      const boxes = p.locator('textarea.share-msg');
      assert.ok(await boxes.count() > 0, 'no ready message');
      for (const box of await boxes.all()) {
        const { scroll, client, id } = await box.evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight, id: el.id }));
        assert.ok(scroll <= client + 1, `${id} at ${size}: ${scroll}px of text in a ${client}px box`);
      }
    });
    assert.deepEqual(who.problems, []);
  }
});
