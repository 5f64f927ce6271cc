// The analyst's side of issue 14 in a real browser: a link that can be
// copied again (message, QR code, e-mail) until it is opened; the portfolio
// dashboard with its "needs action" filter and notifications; the CSV import
// with a preview; access requested for many companies at once.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { login } = require('../lib/harness');
const { FJ, NS, ANNA, PHONE, visible, noAxe, Stage } = require('../lib/demo');


let srv; // eslint-disable-line prefer-const
const state = {};

const stage = new Stage();
const open = (role, opts) => stage.open(role, opts);

before(async () => {
  srv = await stage.start({ name: 'analyst' });
});

after(() => stage.stop());

test('item 7: the link survives a reload until it is opened, with a message, a QR code and e-mail', async () => {
  const analyst = await open('analyst7');
  state.analyst = analyst;
  const page = analyst.page;
  await analyst.step('request-access', async () => {
    await page.goto(srv.base + '/login');
    await login(page, srv.base, srv.logins.analyst);
    await page.getByRole('link', { name: FJ.name }).click();
    await visible(page.getByRole('heading', { level: 1, name: FJ.name }));
    state.fjURL = page.url();
    assert.equal(await page.getByRole('button', { name: 'Activate' }).count(), 0, 'the button still says Activate');
    await page.getByRole('button', { name: 'Request access' }).click();
    await visible(page.getByRole('heading', { name: 'Consent link created' }));
    state.link = await page.locator('#new-link').inputValue();
    assert.match(state.link, new RegExp(`^${srv.base}/connect/[A-Za-z0-9_-]{20,}$`));
  });
  await analyst.step('reloaded-still-there', async () => {
    await page.reload();
    await visible(page.getByRole('heading', { name: 'Consent link created' }));
    assert.equal(await page.locator('#new-link').inputValue(), state.link, 'after a reload the link is still there to copy');
    const sv = await page.locator('#msg-sv').inputValue();
    assert.match(sv, /^Hej! ?\n/);
    assert.ok(sv.includes(`behöver läsbehörighet till ${FJ.name}:s bokföring`), sv);
    assert.ok(sv.includes(state.link) && /Länken gäller till \d+ \S+ \d{4}/.test(sv), sv);
    const en = await page.locator('#msg-en').inputValue();
    assert.ok(en.includes('need read access') && en.includes(state.link), en);
    const qr = page.getByRole('img', { name: 'QR code of the consent link' });
    await visible(qr);
    assert.match(await qr.getAttribute('src'), /^data:image\/png;base64,/);
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 100), 'the QR code image loads under the page policy');
    await noAxe(page, 'the company page with a link to share');
  });
  await analyst.step('send-by-mail', async () => {
    const form = page.locator('form.share-mail');
    await form.getByLabel("Approver's name").fill('Anna Lindqvist');
    await form.getByLabel("Approver's e-mail").fill(ANNA.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await visible(page.getByText(`The link was sent to Anna Lindqvist <${ANNA.email}>.`));
    await visible(page.getByText(`sent to Anna Lindqvist <${ANNA.email}>`).first());
  });

  const admin = await open('admin7');
  state.admin = admin;
  await admin.step('caught-mail-has-link', async (p) => {
    await p.goto(srv.base + '/login');
    await login(p, srv.base, srv.logins.admin);
    await p.goto(srv.base + '/admin/mail');
    const mail = p.locator('article.mail', { hasText: ANNA.email }).first();
    await visible(mail);
    assert.ok((await mail.innerText()).includes(state.link), 'the caught mail at /admin/mail carries the link');
  });

  const phone = await open('analyst7-phone', PHONE);
  await phone.step('company-on-phone', async (p) => {
    await p.goto(srv.base + '/login');
    await login(p, srv.base, srv.logins.analyst);
    await p.goto(state.fjURL);
    await visible(p.locator('#link-copy'));
    const w = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `the company page is ${w}px wide on a 390px phone`);
  });
  assert.deepEqual([...analyst.problems, ...admin.problems, ...phone.problems], []);
});

test('item 8: a declined link lands under "needs action" and in the notifications; once opened the link is gone', async () => {
  const acc = await open('accountant8', { locale: 'sv-SE' });
  const page = acc.page;
  await acc.step('declines', async () => {
    await page.goto(state.link);
    await page.getByRole('button', { name: /Ge behörighet|Give permission/ }).first().click();
    await page.waitForURL((u) => u.origin === srv.sandbox);
    if (await page.getByRole('heading', { name: 'Log in' }).isVisible()) {
      await page.getByLabel('E-mail').fill(ANNA.email);
      await page.getByLabel('Password').fill(ANNA.password);
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
    }
    await page.getByRole('heading', { name: 'Choose company' }).waitFor();
    await page.getByRole('radio', { name: new RegExp(FJ.name) }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((u) => u.origin === srv.base);
  });

  const analyst = state.analyst;
  await analyst.step('opened-link-not-shown', async (p) => {
    await p.goto(state.fjURL);
    await visible(p.getByRole('heading', { level: 1, name: FJ.name }));
    assert.equal(await p.locator('#new-link').count(), 0, 'an opened link can still be shown');
    assert.equal(await p.getByText(state.link).count(), 0);
  });
  await analyst.step('dashboard-needs-action', async (p) => {
    await p.goto(srv.base + '/');
    await p.getByRole('link', { name: /^Needs action/ }).click();
    const row = p.locator('tr', { has: p.getByRole('link', { name: FJ.name }) });
    await visible(row);
    const text = await row.innerText();
    assert.match(text, /Failed/);
    assert.match(text, /declined/);
    assert.match(text, /Next:/);
    assert.match(text, /Visma/);
    await noAxe(p, 'the dashboard');
  });
  await analyst.step('notifications', async (p) => {
    await visible(p.getByRole('link', { name: /Notifications/ }).locator('.count'));
    await p.getByRole('link', { name: /Notifications/ }).click();
    await visible(p.getByRole('heading', { level: 1, name: 'Notifications' }));
    await visible(p.getByText(`The consent link for ${FJ.name} failed: the approver declined.`));
    await noAxe(p, 'the notifications');
  });
  assert.deepEqual([...analyst.problems, ...acc.problems], []);
});

test('item 9: a CSV with a bad row saves nothing until only the valid rows are confirmed; links for many companies at once', async () => {
  const admin = state.admin;
  const page = admin.page;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bilag-csv-')), 'clients.csv');
  fs.writeFileSync(file, [
    'name,country,orgnr,members',
    'Importerad Kund AB,SE,556677-8899,analyst@demo.bilag.test',
    'Felaktig Kund AB,SE,556677-8890,',
  ].join('\n'));
  await admin.step('import-preview', async () => {
    await page.goto(srv.base + '/admin/companies');
    await page.getByRole('link', { name: 'Import companies from CSV' }).click();
    await page.getByLabel('CSV file').setInputFiles(file);
    await page.getByRole('button', { name: 'Preview' }).click();
    await visible(page.getByText('Rows ready to import: 1. Rows with errors: 1. Nothing has been saved yet.'));
    const bad = page.locator('tr.row-error', { hasText: 'Felaktig Kund AB' });
    await visible(bad.getByText("The organisation number's check digit is wrong."));
    await noAxe(page, 'the import preview');
  });
  await admin.step('nothing-saved-yet', async () => {
    const other = await admin.context.newPage();
    await other.goto(srv.base + '/admin/companies');
    assert.equal(await other.getByRole('link', { name: 'Importerad Kund AB' }).count(), 0, 'the preview saved a company');
    await other.close();
  });
  await admin.step('import-valid-rows', async () => {
    await page.getByRole('button', { name: 'Import only the valid rows (1)' }).click();
    await visible(page.getByText('Companies imported: 1.'));
    await visible(page.getByRole('link', { name: 'Importerad Kund AB' }));
    assert.equal(await page.getByRole('link', { name: 'Felaktig Kund AB' }).count(), 0);
  });

  const analyst = state.analyst;
  await analyst.step('bulk-request', async (p) => {
    await p.goto(srv.base + '/');
    await p.getByLabel(`Select ${NS.name}`).check();
    await p.getByLabel('Select Importerad Kund AB').check();
    await p.getByLabel(`Approver's e-mail for ${NS.name}`).fill('ns@example.se');
    // Sweden has two systems now (eAccounting and e-conomic): the request
    // names one for companies that are not connected yet.
    await p.getByLabel('Accounting system').selectOption('eaccounting');
    await p.getByRole('button', { name: 'Request access for the selected companies' }).click();
    await visible(p.getByRole('heading', { level: 1, name: 'Access requested' }));
    await visible(p.getByText('Links made: 2 of 2 companies.'));
    await visible(p.getByText('The link was sent to ns@example.se.'));
    await noAxe(p, 'the bulk result');
  });
  await admin.step('bulk-mail-caught', async (p) => {
    await p.goto(srv.base + '/admin/mail');
    await visible(p.locator('article.mail', { hasText: 'ns@example.se' }));
  });
  assert.deepEqual([...admin.problems, ...analyst.problems], []);
});

// Item 15: the company's audit trail says who did what, narrows by what,
// and its CSV holds the same rows. Issue 25 item 10: a sentence a row,
// the stored fields behind a toggle with times in the reader's zone, and
// about fifteen rows a screen in a 1280 px window that never scrolls
// sideways.
test('item 15: the audit trail says who did what, narrows by what, and exports the same as CSV', async () => {
  const analyst = state.analyst;
  const page = analyst.page;
  await analyst.step('audit-trail', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(state.fjURL);
    await page.getByRole('link', { name: 'Audit trail: who opened what' }).click();
    await visible(page.getByRole('heading', { level: 1, name: `Audit trail · ${FJ.name}` }));
    const rows = page.locator('table.audit tbody tr');
    const sentences = page.locator('table.audit tbody tr .sentence');
    await visible(sentences.filter({ hasText: /made consent link \d+$/ }).first());
    await visible(sentences.filter({ hasText: /e-mailed consent link \d+ to .+@/ }).first());
    assert.match(await rows.first().locator('td').first().innerText(), /\d\d:\d\d:\d\d [A-Z]{3,4}$/, 'the time names its zone');
    const first = rows.first();
    assert.equal(await first.locator('details').getAttribute('open'), null, 'the details are folded');
    await first.locator('summary').click();
    await visible(first.locator('details dl'));
    const all = await page.locator('table.audit').evaluate((t) => t.textContent);
    assert.doesNotMatch(all, /\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?Z/, 'no raw UTC time, not even in the details');
    await first.locator('summary').click();
    const fit = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: document.documentElement.clientWidth }));
    assert.ok(fit.page <= fit.window, `the page is ${fit.page} px wide in a ${fit.window} px window`);
    const box = await page.locator('table.audit').evaluate((t) => ({ wide: t.scrollWidth, room: t.parentElement.clientWidth }));
    assert.ok(box.wide <= box.room, `the table is ${box.wide} px wide in ${box.room} px`);
    const heights = await rows.evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
    const mean = heights.reduce((a, b) => a + b, 0) / heights.length;
    assert.ok(15 * mean <= 900, `fifteen rows are ${Math.round(15 * mean)} px, more than a 900 px screen (rows: ${heights.join(', ')})`);
    await noAxe(page, 'the audit trail');
  });
  await analyst.step('audit-filtered', async () => {
    await page.getByLabel('What').selectOption('link_send');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=link_send/);
    const what = await page.locator('table.audit tbody tr .sentence').allInnerTexts();
    assert.ok(what.length > 0 && what.every((t) => /e-mailed consent link \d+ to /.test(t)), `the filtered rows: ${what}`);
    const href = await page.locator('#audit-csv').getAttribute('href');
    const csv = await page.evaluate(async (u) => (await fetch(u)).text(), href);
    const lines = csv.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    assert.equal(lines.length, what.length + 1, 'the CSV has its header and the filtered rows');
    assert.ok(lines.slice(1).every((l) => l.includes('link_send')), `the CSV keeps the filter: ${lines.join(' | ')}`);
  });
});
