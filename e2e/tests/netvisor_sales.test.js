// Netvisor sales invoices (issue 27) walked by a Finnish analyst on a
// phone (390×844, the portal in Finnish): VAT codes paired → an upload
// with an error and an unknown customer, all reported and nothing sent →
// the demo's sample month sent with its progress → a sent invoice's status
// changed and commented → the vouchers list with the unpaid filter → a
// sales invoice's voucher page with its status, open sum, own attachments
// and related order → the order invoiced from its page. Screenshots of
// every step (artifacts/), each looked at.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { login } = require('../lib/harness');
const { PHONE, visible, noAxe, Stage } = require('../lib/demo');

const SAARISTO = { name: 'Saaristo Puutyö Oy', org: '2876543-5' };
const DEMO_KEYS = { id: 'BILAG-DEMO-USER', key: 'demo-customer-key-2876543' };
const PERIOD = path.resolve(__dirname, '..', '..', 'connectors', 'netvisor', 'demo', 'period-2026-11.json');
const INVOICES = 8;

let srv;
let companyID;
const stage = new Stage();

before(async () => {
  srv = await stage.start({ name: 'netvisor-sales' });
});

after(() => stage.stop());

// noSideways fails when the page is wider than the phone.
async function noSideways(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= PHONE.viewport.width, `${what} is ${w}px wide on a ${PHONE.viewport.width}px phone`);
}

// connect: the admin makes the analyst a member of the Finnish company
// and a link, which the company's accountant fills with the demo keys.
async function connect() {
  const admin = await stage.open('nvs-admin');
  const page = admin.page;
  await login(page, srv.base, srv.logins.admin);
  await page.getByRole('link', { name: SAARISTO.name }).first().click();
  await page.getByRole('heading', { level: 1, name: SAARISTO.name }).waitFor();
  companyID = page.url().match(/\/companies\/(\d+)/)[1];
  await page.goto(`${srv.base}/admin/companies/${companyID}`);
  await page.getByRole('checkbox', { name: /Anders Analytiker/ }).check();
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith(`/admin/companies/${companyID}`)), page.locator('form.form button[type=submit], form button.primary').first().click()]);
  await page.goto(`${srv.base}/companies/${companyID}`);
  await page.locator('form[action$="/links"] button[type=submit]').first().click();
  const link = await page.locator('#new-link').inputValue();
  const acc = await stage.open('nvs-accountant');
  await acc.page.goto(link);
  await acc.page.locator('#f-approver_name').fill('Aino Virtanen');
  await acc.page.locator('#f-customer_id').fill(DEMO_KEYS.id);
  await acc.page.locator('#f-customer_key').fill(DEMO_KEYS.key);
  await Promise.all([
    acc.page.waitForURL((u) => u.pathname === '/connect-result'),
    acc.page.locator('form.form button[type=submit]').click(),
  ]);
  await visible(acc.page.locator('article.result-ok'), 'connected');
  return [...admin.problems, ...acc.problems];
}

// upload picks a batch and presses the upload form's button, landing on
// the batch's page.
async function upload(page, file) {
  await page.goto(`${srv.base}/companies/${companyID}/imports`);
  await page.locator('#imp-file').setInputFiles(file);
  await Promise.all([
    page.waitForURL((u) => /\/imports\/\d+$/.test(u.pathname)),
    page.locator('#imp-file').locator('xpath=ancestor::form').locator('button[type=submit]').click(),
  ]);
}

// waitVouchers reloads the vouchers page (bounded) until the sync is done.
async function waitVouchers(page, query = '') {
  for (let i = 0; i < 60; i++) {
    await page.goto(`${srv.base}/companies/${companyID}/vouchers${query}`);
    if (await page.locator('table.vouchers tbody tr').count() > 0 && await page.locator('[data-sync-poll]').count() === 0) return;
    await page.waitForTimeout(500);
  }
  throw new Error('no vouchers after 60 tries');
}

test('a Finnish analyst on a phone: pair, upload, send, act, filter, read', async () => {
  const setup = await connect();
  const an = await stage.open('nvs-analyst-fi-phone', { ...PHONE, locale: 'fi-FI' });
  const page = an.page;
  // The portal in Finnish from the login page on (the header's language
  // switch), as a Finnish analyst has it.
  await page.goto(`${srv.base}/lang?l=fi&next=/login`);
  await page.locator('#email').fill(srv.logins.analyst.email);
  await page.locator('#password').fill(srv.logins.analyst.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.locator('button.primary[type=submit]').click()]);
  const base = `${srv.base}/companies/${companyID}`;

  await an.step('pairing', async () => {
    await page.goto(`${base}/pairing/netvisor`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'fi');
    await page.locator('#add-vatCode').fill('25.5');
    await page.locator('#add-vatCode-v').selectOption('KOMY:25.5');
    // Invoices arrive unsent, so that opening one is an action to take.
    await page.locator('section.pairing-table').nth(1).locator('select[name=v]').selectOption('unsent');
    await page.locator('#pairing-save').click();
    await visible(page.getByText(/Vastaavuudet tallennettu: 2/), 'the pairing is saved, in Finnish');
    assert.equal(await page.getByText(/Inrikes|försäljning/).count(), 0, 'no Swedish left on the Finnish page');
    await noSideways(page, 'the pairing page');
    await noAxe(page, 'the pairing page');
  });

  // Two invoices of the month, one numbered as Netvisor does not take and
  // one to a customer Netvisor lacks: both reported, nothing sent.
  const month = JSON.parse(fs.readFileSync(PERIOD, 'utf8'));
  const bad = month.slice(0, 2).map((inv) => ({ ...inv, pdf: undefined }));
  bad[0].number = 'F-12';
  bad[1].customer = { ...bad[1].customer, number: '9999' };
  await an.step('upload-errors', async () => {
    await upload(page, { name: 'marraskuu-virheet.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await visible(page.locator('#imports-preflight'), 'the pre-flight reports the unknown customer');
    await visible(page.locator('#imports-preflight').getByText(/9999/), 'the unknown customer by its number');
    await visible(page.locator('table.findings').getByText('F-12').or(page.locator('table.findings code', { hasText: 'number' })), 'the number Netvisor does not take');
    // Send sends nothing while the pre-flight stands.
    await page.locator('#send-button').click();
    await page.locator('#imports-preflight').waitFor();
    assert.match(await page.locator('#imports-preflight').innerText(), /ei lähetetä mitään/, 'the page says nothing is sent');
    await noSideways(page, 'the batch with errors');
    await noAxe(page, 'the batch with errors');
  });

  await an.step('upload-month', async () => {
    await page.goto(`${base}/imports`);
    await visible(page.locator('#imports-demo'), 'demo mode offers the sample month');
    await upload(page, PERIOD);
    assert.equal(await page.locator('li.import-order').count(), INVOICES);
    await visible(page.locator('#send-button'), 'the month can be sent');
    await noSideways(page, 'the batch ready to send');
  });
  await an.step('sent', async () => {
    await page.locator('#send-button').click();
    const bar = page.locator('#imports-progress progress');
    if (await bar.count() > 0) console.log(`# progress ${await bar.getAttribute('value')} of ${await bar.getAttribute('max')}`);
    await page.locator('#imports-progress').waitFor({ state: 'detached', timeout: 60000 });
    await page.locator('#imports-counts').waitFor();
    const counts = await page.locator('#imports-counts').innerText();
    assert.match(counts, new RegExp(`${INVOICES}.*${INVOICES}.*0.*0`), `counts: ${counts}`);
    await noSideways(page, 'the sent batch');
    await noAxe(page, 'the sent batch');
  });

  // The first invoice (unsent on arrival) is opened, then commented.
  const first = page.locator('li.import-order').first();
  await an.step('status-confirm', async () => {
    await first.locator('details.invoice-actions summary').click();
    await first.locator('button[id$="-open"]').click();
    await visible(page.locator('#act-status'), 'the confirm page reads the status');
    await visible(page.locator('#act-status').getByText(/lähettämätön/), 'its status in Finnish');
    await noSideways(page, 'the confirm page');
  });
  await an.step('status-done', async () => {
    await page.locator('#act-confirm').click();
    await visible(page.getByText(/Tehty:/).first(), 'the status change is done');
  });
  await an.step('comment', async () => {
    const order = page.locator('li.import-order').first();
    await order.locator('details.invoice-actions summary').click();
    await order.locator('textarea').fill('Asiakas pyysi maksuaikaa 30 päivää');
    await order.locator('button[id$="-comment"]').click();
    await visible(page.locator('#act-text'), 'the comment to confirm');
    await page.locator('#act-confirm').click();
    await visible(page.getByText(/Tehty:/).first(), 'the comment is added');
    await noSideways(page, 'the batch after the actions');
  });

  await an.step('unpaid', async () => {
    await waitVouchers(page);
    // A voucher's documents (and so its invoice's state) are recorded when
    // it is first opened: the filter knows only those (see the README).
    for (const text of ['Myyntilasku 1042', 'Ennakkolasku 1043', 'Myyntilasku 1044', 'Myyntilasku 1045']) {
      await page.goto(`${base}/vouchers?text=${encodeURIComponent(text)}`);
      await page.locator('table.vouchers tbody tr', { hasText: text }).locator('td:first-child a').first().click();
      await page.locator('.voucher-docs').waitFor();
    }
    await page.goto(`${base}/vouchers?payment=unpaid`);
    for (const text of ['Myyntilasku 1042', 'Ennakkolasku 1043', 'Myyntilasku 1044']) {
      await visible(page.locator('table.vouchers tbody tr', { hasText: text }), `${text} is unpaid`);
    }
    assert.equal(await page.locator('table.vouchers tbody tr', { hasText: 'Myyntilasku 1041' }).count(), 0, 'a paid invoice is not unpaid');
    await noSideways(page, 'the unpaid vouchers');
    await noAxe(page, 'the unpaid vouchers');
  });
  await an.step('overdue', async () => {
    await page.goto(`${base}/vouchers?payment=overdue`);
    await visible(page.locator('table.vouchers tbody tr', { hasText: 'Ennakkolasku 1043' }), 'the overdue advance invoice');
    assert.equal(await page.locator('table.vouchers tbody tr', { hasText: 'Myyntilasku 1045' }).count(), 0, 'an invoice not yet due is not overdue');
  });

  await an.step('voucher-status', async () => {
    await page.goto(`${base}/vouchers?text=${encodeURIComponent('Myyntilasku 1044')}`);
    await page.locator('table.vouchers tbody tr', { hasText: 'Myyntilasku 1044' }).locator('td:first-child a').first().click();
    await visible(page.locator('.invoice-status').getByText('Muistutettu'), 'the status in Finnish');
    await visible(page.locator('.invoice-status').getByText('344,00'), 'the open sum');
    await noSideways(page, 'the voucher page');
  }, { fullPage: true });
  await an.step('voucher-attachments', async () => {
    await page.goto(`${base}/vouchers?text=${encodeURIComponent('Myyntilasku 1042')}`);
    await page.locator('table.vouchers tbody tr', { hasText: 'Myyntilasku 1042' }).locator('td:first-child a').first().click();
    const tabs = page.locator('nav.docs-tabs');
    await visible(tabs.getByText('tuntilista-1042.pdf'), 'the invoice\'s timesheet');
    await visible(tabs.getByText('lahete-1042.png'), 'the invoice\'s delivery note');
    await visible(tabs.getByText('Tilaus 5002'), 'the related order, in Finnish');
    await noSideways(page, 'the voucher page with attachments');
  }, { fullPage: true });
  await an.step('related-order', async () => {
    await page.locator('nav.docs-tabs').getByText('Tilaus 5002').click();
    const frame = page.frameLocator('.docview iframe');
    await visible(frame.getByText('Laskutettu'), 'the order\'s status in Finnish');
    await visible(frame.getByText('Baaritiski'), 'its line');
  }, { fullPage: true });

  await an.step('order-to-invoice', async () => {
    await page.goto(`${base}/vouchers?text=${encodeURIComponent('Ennakkolasku 1043')}`);
    await page.locator('table.vouchers tbody tr', { hasText: 'Ennakkolasku 1043' }).locator('td:first-child a').first().click();
    await page.locator('nav.docs-tabs').getByText('Tilaus 5001').click();
    const frame = page.frameLocator('.docview iframe');
    await visible(frame.getByText('Toimittamatta'), 'the order is not delivered');
    await visible(frame.locator('#ract-bill'), 'the analyst may invoice it');
  }, { fullPage: true });
  await an.step('order-confirm', async () => {
    await Promise.all([
      page.waitForURL((u) => u.pathname.endsWith('/act')),
      page.frameLocator('.docview iframe').locator('#ract-bill').click(),
    ]);
    await visible(page.locator('#ract-confirm'), 'the confirm page');
    await noSideways(page, 'the order\'s confirm page');
    await noAxe(page, 'the order\'s confirm page');
  });
  await an.step('order-invoiced', async () => {
    await page.locator('#ract-confirm').click();
    await visible(page.getByText(/Valmis: Tilaus 5001/), 'the order is invoiced');
    await visible(page.frameLocator('.docview iframe').getByText('Laskutettu'), 'the order now says invoiced');
  }, { fullPage: true });

  assert.deepEqual([...setup, ...an.problems], []);
});
