// Invoices into e-conomic in Chromium (issue 26, "Done when"): the firm
// makes one link of two steps (read, then export) for a Danish demo client;
// the accountant approves both steps on a phone (390×844, Danish browser)
// through the e-conomic sandbox's grant page; on a desktop the firm uploads
// the demo period (connectors/economic/demo/period-2025-03.json, 20 invoices
// for Nordlys Bogføring ApS), the pre-flight names sales account 3010's
// missing product group and sends nothing, the pairing page pairs it, and
// the batch is sent with its progress and counts to booked numbers. Then
// the pairing and batch pages on the phone.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { login } = require('../lib/harness');
const { PHONE, visible, noAxe, Stage } = require('../lib/demo');

const NORDLYS = { name: 'Nordlys Bogføring ApS', org: '35121005' };
const REVISOR = { email: 'revisor@demo.dk', password: 'revisor-demo' };
const PERIOD = path.resolve(__dirname, '..', '..', 'connectors', 'economic', 'demo', 'period-2025-03.json');
const INVOICES = 20;

let srv;
let firm;
let companyID;
const stage = new Stage();

before(async () => {
  srv = await stage.start({ name: 'export' });
  firm = await stage.open('export-firm');
  await firm.page.goto(srv.base + '/login');
  await login(firm.page, srv.base, srv.logins.admin);
});

after(() => stage.stop());

// noSideways fails when the page is wider than the phone.
async function noSideways(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= 390, `${what} is ${w}px wide on a 390px phone`);
}

// grant logs the demo accountant in on the sandbox's grant page and
// approves Nordlys; it ends back on the portal's result page.
async function grant(ap, token, login) {
  await ap.waitForURL((u) => u.origin === srv.sandbox && u.pathname === '/economic/secure/api1/requestaccess.aspx');
  const u = new URL(ap.url());
  assert.equal(u.searchParams.get('appPublicToken'), token);
  assert.equal(u.searchParams.get('locale'), 'da-DK');
  // The second step finds the accountant still logged in at e-conomic.
  if (login) {
    await visible(ap.getByRole('heading', { name: 'Log ind' }), 'the grant page speaks Danish');
    await ap.getByLabel('E-mail').fill(REVISOR.email);
    await ap.locator('input[type=password]').fill(REVISOR.password);
    await ap.locator('button[type=submit]').first().click();
  }
  await ap.getByRole('radio', { name: new RegExp(NORDLYS.name) }).check();
  await ap.locator('button[value=approve]').click();
  await ap.waitForURL((u) => u.origin === srv.base && u.pathname === '/connect-result');
}

test('e-conomic export: two steps on a phone, pre-flight, pairing and a sent period', async () => {
  const page = firm.page;
  let link;
  await firm.step('company', async () => {
    await page.goto(srv.base + '/');
    await page.getByRole('link', { name: NORDLYS.name }).first().click();
    await page.getByRole('heading', { level: 1, name: NORDLYS.name }).waitFor();
    companyID = page.url().match(/\/companies\/(\d+)/)[1];
  });
  await firm.step('two-step-link', async () => {
    const form = page.locator('form[action$="/links"]');
    await form.getByRole('radio', { name: /then Visma e-conomic.*export.*two steps/i }).check();
    await form.locator('button[type=submit]').first().click();
    link = await page.locator('#new-link').inputValue();
    assert.match(link, new RegExp(`^${srv.base}/connect/[A-Za-z0-9_-]{20,}$`));
  });

  const acc = await stage.open('export-accountant-da-phone', { ...PHONE, locale: 'da-DK' });
  const ap = acc.page;
  await acc.step('consent-two-steps', async () => {
    await ap.goto(link);
    await visible(ap.getByRole('heading', { level: 1, name: /Nordlys Bogføring ApS i Visma e-conomic/ }), 'the consent page is in Danish');
    await visible(ap.getByText('To trin, det ene efter det andet').first(), 'the consent page announces two steps');
    await noSideways(ap, 'the two-step consent page');
    await noAxe(ap, 'the two-step consent page');
  });
  await acc.step('step-1-done', async () => {
    await ap.getByRole('button', { name: 'Giv tilladelse' }).click();
    await grant(ap, 'bilag-demo', true);
    await visible(ap.getByRole('heading', { name: 'Forbundet' }), 'the first step connected');
    await visible(ap.getByText(/ikke påbegyndt/).first(), 'the second step waits');
    await noSideways(ap, 'the first step\'s result');
    await noAxe(ap, 'the first step\'s result');
  });
  await acc.step('step-2-done', async () => {
    await ap.getByRole('button', { name: /Fortsæt med trin 2/ }).click();
    await grant(ap, 'bilag-demo-export', false);
    await visible(ap.getByRole('heading', { name: 'Forbundet' }), 'the second step connected');
    assert.equal(await ap.locator('.step-connected').count(), 2, 'both steps show done');
    await noSideways(ap, 'the second step\'s result');
    await noAxe(ap, 'the second step\'s result');
  });

  // The firm, on a desktop: the period is uploaded and checked, and the
  // pre-flight stops it before anything is sent.
  let batchURL;
  await firm.step('upload-period', async () => {
    await page.goto(`${srv.base}/companies/${companyID}/imports`);
    await visible(page.getByRole('heading', { level: 2, name: /e-conomic/ }), 'the imports page offers the e-conomic export');
    await page.locator('#imp-file').setInputFiles(PERIOD);
    await Promise.all([
      page.waitForURL((u) => /\/imports\/\d+$/.test(u.pathname)),
      page.locator('#imp-file').locator('xpath=ancestor::form').getByRole('button', { name: 'Check' }).click(),
    ]);
    batchURL = page.url();
    assert.equal(await page.locator('li.import-order').count(), INVOICES, 'the batch holds the period\'s invoices');
  });
  await firm.step('preflight', async () => {
    const pf = page.locator('#imports-preflight');
    await visible(pf, 'the pre-flight shows');
    const text = await pf.innerText();
    console.log('# pre-flight: ' + text.replace(/\n/g, ' | '));
    assert.match(text, /3010/, 'the pre-flight names sales account 3010');
    await visible(pf.locator('#preflight-pair'), 'the pre-flight links to the pairing');
    await noAxe(page, 'the batch with its pre-flight');
  });
  await firm.step('pairing', async () => {
    await page.locator('#preflight-pair').click();
    await page.waitForURL((u) => u.pathname === `/companies/${companyID}/pairing/economic-export`);
    await visible(page.locator('#pairing-batch'), 'the pairing page names the batch it came from');
    // 3010 is unpaired and e-conomic has no group named after it: no suggestion.
    const row = page.locator('section.pairing-table').first().locator('tbody tr').filter({ has: page.locator('code', { hasText: /^3010$/ }) });
    await visible(row, 'the pairing page lists sales account 3010');
    assert.equal(await row.locator('.use-suggestion').count(), 0, '3010 has no suggestion');
    await noAxe(page, 'the pairing page');
  });
  await firm.step('pairing-suggestions-used', async () => {
    // The other accounts, terms and defaults take the suggestions offered.
    await page.locator('#pairing-use-all').click();
    await visible(page.getByText(/Pairing saved: \d+ changed/), 'the suggestions are saved');
    assert.equal(await page.locator('#pairing-use-all').count(), 0, 'no suggestion is left open');
  });
  let group;
  await firm.step('pairing-3010', async () => {
    const groups = page.locator('section.pairing-table').first();
    const row = groups.locator('tbody tr').filter({ has: page.locator('code', { hasText: /^3010$/ }) });
    // 1010 took its suggestion: 3010 (warehouse rent, 25 % VAT, Danish
    // customers) goes into the same group as the person would pick it.
    const row1010 = groups.locator('tbody tr').filter({ has: page.locator('code', { hasText: /^1010$/ }) });
    group = await row1010.locator('select').inputValue();
    assert.ok(group, '1010 is paired with a group');
    await row.locator('select').selectOption(group);
    await page.locator('#pairing-save').click();
    await visible(page.getByText('Pairing saved: 1 changed.'), 'the pairing of 3010 is saved');
    assert.equal(await row.locator('select').inputValue(), group);
  });
  await firm.step('batch-ready', async () => {
    await page.getByRole('link', { name: /^Upload \d+$/ }).click();
    await page.waitForURL(batchURL);
    // The findings stand on the page until Send checks again.
    await visible(page.locator('#send-button'), 'the batch can be sent');
    await noAxe(page, 'the batch ready to send');
  });
  await firm.step('sending', async () => {
    await page.locator('#send-button').click();
    // The page reloads itself while it sends; catch the bar if it is there.
    const bar = page.locator('#imports-progress progress');
    if (await bar.count() > 0) console.log(`# progress ${await bar.getAttribute('value')} of ${await bar.getAttribute('max')}`);
    await visible(page.locator('#imports-counts'), 'the counts show');
  }, { fullPage: false });
  await firm.step('sent', async () => {
    // Bounded: 20 invoices to the sandbox take a few seconds.
    await page.locator('#imports-progress').waitFor({ state: 'detached', timeout: 60000 });
    await page.locator('#imports-counts').waitFor();
    const counts = await page.locator('#imports-counts').innerText();
    assert.equal(counts, `To send ${INVOICES} · sent ${INVOICES} · refused 0 · unknown 0`);
    assert.equal(await page.locator('li.import-order.imp-accepted').count(), INVOICES, 'every invoice accepted');
    // Booked with the source's own numbers.
    const first = page.locator('li.import-order').first();
    await visible(first.locator('p.ok .answer-ref', { hasText: 'Booked in e-conomic as invoice 25031.' }), 'the first invoice shows its booked number');
    const booked = await page.locator('li.import-order p.ok .answer-ref').allInnerTexts();
    assert.equal(booked.filter((t) => /^Booked in e-conomic as invoice \d+\.$/.test(t)).length, INVOICES, 'every invoice shows its booked number');
    await noAxe(page, 'the sent batch');
  });

  // The same pages on the phone, as the firm's admin.
  const phone = await stage.open('export-firm-phone', PHONE);
  const pp = phone.page;
  await phone.step('pairing-phone', async () => {
    await login(pp, srv.base, srv.logins.admin);
    await pp.goto(`${srv.base}/companies/${companyID}/pairing/economic-export`);
    await pp.getByRole('heading', { level: 1, name: /Pairing for Visma e-conomic/ }).waitFor();
    await noSideways(pp, 'the pairing page');
    await noAxe(pp, 'the pairing page on a phone');
  });
  await phone.step('batch-phone', async () => {
    await pp.goto(batchURL);
    await pp.locator('#imports-counts').waitFor();
    await noSideways(pp, 'the sent batch');
    await noAxe(pp, 'the sent batch on a phone');
  }, { fullPage: false });
  await phone.step('batch-phone-preview', async () => {
    // An invoice's lines: their table scrolls in its box, not the page.
    const first = pp.locator('li.import-order').first();
    await first.locator('details.preview summary').click();
    await first.locator('table.preview-lines').scrollIntoViewIfNeeded();
    await noSideways(pp, 'the sent batch with a preview open');
    await noAxe(pp, 'an open preview on a phone');
  }, { fullPage: false });
  assert.deepEqual(firm.problems, [], 'no CSP violation or script error on the firm\'s pages');
  assert.deepEqual(phone.problems, [], 'no CSP violation or script error on the phone');
  assert.deepEqual(acc.problems, [], 'no CSP violation or script error on the accountant\'s pages');
});
