// Visma e-conomic in Chromium (issue 15): the firm makes a consent link for
// a Danish demo client; the accountant approves on a phone (390×844, Danish
// browser) through the e-conomic sandbox's grant page; the firm's page
// shows the connection, the synced vouchers of two years and a voucher's
// PDF. The demo seeds the Danish clients without members, so the firm's
// side is the administrator, who sees every company.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { login } = require('../lib/harness');
const { PHONE, visible, noAxe, Stage } = require('../lib/demo');

const NORDLYS = { name: 'Nordlys Bogføring ApS', org: '35121005' };
const REVISOR = { email: 'revisor@demo.dk', password: 'revisor-demo' };

let srv;
let firm;
let companyID;
const stage = new Stage();

before(async () => {
  srv = await stage.start({ name: 'economic' });
  firm = await stage.open('economic-firm');
  await firm.page.goto(srv.base + '/login');
  await login(firm.page, srv.base, srv.logins.admin);
});

after(() => stage.stop());

test('e-conomic: a Danish accountant approves on a phone; the firm sees vouchers and a PDF', async () => {
  const page = firm.page;
  let link;
  await firm.step('company', async () => {
    await page.goto(srv.base + '/');
    await page.getByRole('link', { name: NORDLYS.name }).first().click();
    await page.getByRole('heading', { level: 1, name: NORDLYS.name }).waitFor();
    companyID = page.url().match(/\/companies\/(\d+)/)[1];
    await visible(page.getByText(/Visma e-conomic/).first(), 'the company page names e-conomic');
  });
  await firm.step('link-created', async () => {
    await page.locator('form[action$="/links"] button[type=submit]').first().click();
    link = await page.locator('#new-link').inputValue();
    assert.match(link, new RegExp(`^${srv.base}/connect/[A-Za-z0-9_-]{20,}$`));
  });

  const acc = await stage.open('economic-accountant-da-phone', { ...PHONE, locale: 'da-DK' });
  const ap = acc.page;
  await acc.step('consent', async () => {
    await ap.goto(link);
    await visible(ap.getByText(/e-conomic/).first(), 'the consent page names e-conomic');
    // A Danish company's page speaks Danish to a Danish browser.
    // Headed by the firm that asks (issue 25, item 6).
    await visible(ap.getByRole('heading', { level: 1, name: /^Demo Analys AB beder om adgang til Nordlys Bogføring ApS i Visma e-conomic/ }), 'the consent page is in Danish');
    await visible(ap.getByRole('button', { name: 'Giv tilladelse' }), 'the button is in Danish');
    // The access line is e-conomic's: the role it grants, and that Bilag only reads.
    await visible(ap.getByText(/Bookkeeping|Bogføring/).first(), 'the consent page names the role');
    const w = await ap.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `the consent page is ${w}px wide on a 390px phone`);
    await noAxe(ap, 'the e-conomic consent page');
  });
  await acc.step('requirements', async () => {
    const req = ap.locator('article.consent details').filter({ hasText: /Administer|Administrer/ }).first();
    await req.locator('summary').click();
    await visible(req.getByText(/Administer|Administrer/).first(), 'the requirements say to administer the agreement first');
  });
  await acc.step('grant-page-login', async () => {
    await ap.getByRole('button', { name: 'Giv tilladelse' }).click();
    await ap.waitForURL((u) => u.origin === srv.sandbox && u.pathname === '/economic/secure/api1/requestaccess.aspx');
    const u = new URL(ap.url());
    assert.equal(u.searchParams.get('appPublicToken'), 'bilag-demo');
    // e-conomic's page in the consent page's language.
    assert.equal(u.searchParams.get('locale'), 'da-DK');
    await visible(ap.getByRole('heading', { name: 'Log ind' }), 'the grant page speaks Danish');
    assert.match(u.searchParams.get('redirectUrl'), new RegExp(`^${srv.base}/oauth/economic/callback\\?state=`));
    await ap.getByLabel('E-mail').fill(REVISOR.email);
    await ap.locator('input[type=password]').fill(REVISOR.password);
    await ap.locator('button[type=submit]').first().click();
  });
  await acc.step('grant-page-administer', async () => {
    await ap.getByRole('radio', { name: new RegExp(NORDLYS.name) }).check();
    await ap.locator('button[value=approve]').click();
    await ap.waitForURL((u) => u.origin === srv.base && u.pathname === '/connect-result');
  });
  await acc.step('connected', async () => {
    await visible(ap.getByRole('heading', { name: 'Forbundet' }), 'the result says connected, in Danish');
    await visible(ap.getByText(NORDLYS.name).first(), 'the result names the company');
    await visible(ap.getByText(NORDLYS.org).first(), 'the result names its CVR');
    await visible(ap.getByText(/fjern appen Bilag i e-conomic \(Indstillinger → Apps\)/).first(), 'the result says how to withdraw in e-conomic');
    const w = await ap.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `the result page is ${w}px wide on a 390px phone`);
    await noAxe(ap, 'the e-conomic result page');
  });

  await firm.step('vouchers', async () => {
    for (let i = 0; i < 60; i++) {
      await page.goto(`${srv.base}/companies/${companyID}/vouchers?has_documents=1`);
      if (await page.locator('table.vouchers tbody tr').count() > 0 && await page.locator('[data-sync-poll]').count() === 0) break;
      await page.waitForTimeout(500);
    }
    assert.ok(await page.locator('table.vouchers tbody tr').count() > 0, 'vouchers with documents after the first sync');
    await noAxe(page, 'the vouchers page');
  });
  await firm.step('voucher-with-pdf', async () => {
    const hrefs = await page.locator('table.vouchers tbody tr td:first-child a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    let found = false;
    for (const href of hrefs.slice(0, 10)) {
      await page.goto(srv.base + href);
      const doc = page.locator('a[href*="/documents/"]').first();
      if (await doc.count() > 0) { found = true; break; }
    }
    assert.ok(found, 'a voucher shows a document');
  });
  await firm.step('hostile-file-refused', async () => {
    // Voucher 4 of 2025 has a receipt and a file that is no PDF though
    // e-conomic serves it as one: the receipt opens, the other never
    // reaches the browser.
    await page.goto(`${srv.base}/companies/${companyID}/vouchers?number=4&fiscal_year=2025`);
    await page.locator('table.vouchers tbody').getByRole('link', { name: '4', exact: true }).first().click();
    await page.getByRole('heading', { level: 1, name: /4/ }).waitFor();
    const tabs = await page.locator('nav.docs-tabs a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.equal(tabs.length, 2, 'voucher 4 of 2025 lists two documents');
    const voucherPath = new URL(page.url()).pathname;
    const answers = [];
    for (const tab of tabs) {
      const id = new URLSearchParams(tab.split('?')[1]).get('doc');
      const r = await page.request.get(`${srv.base}${voucherPath}/documents/${id}`);
      const body = await r.body();
      answers.push({ status: r.status(), pdf: body.subarray(0, 5).toString() === '%PDF-', script: body.includes('<script>') });
    }
    assert.equal(answers.filter((a) => a.status === 200 && a.pdf).length, 1, `one PDF opens: ${JSON.stringify(answers)}`);
    assert.equal(answers.filter((a) => a.status >= 400 && !a.script).length, 1, `the hostile file is refused: ${JSON.stringify(answers)}`);
  });
  assert.deepEqual(firm.problems, [], 'no CSP violation or script error on the firm\'s pages');
  assert.deepEqual(acc.problems, [], 'no CSP violation or script error on the accountant\'s pages');
});
