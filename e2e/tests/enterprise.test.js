// Visma Enterprise's validated import of invoice orders (issue 17), in the
// browser against the demo's Enterprise sandbox: the admin asks the
// Norwegian demo client for access; its approver types the web-service
// user into the key form (a wrong password first); the admin uploads
// orders with errors, sees them all, fixes them, sends, reads the history;
// the same orders again need "send again" and are refused by Enterprise;
// a lost answer leaves an order unknown; the sandbox lists what it took.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { login } = require('../lib/harness');
const { PHONE, visible, noAxe, Stage } = require('../lib/demo');

const NO = { name: 'Fjordlys Kommunale Tjenester AS', org: '923456783' };
const WS = { user: 'ws_fakturainfo_demo', password: 'demo-fakturainfo' };

const HEADER = 'orderId;customerNumber;name;zipCode;nationCode;principalNumber;commodityNumber;serialNumber;price;quantity;amount;accountId1;vatCode;lineText1\n';
const WITH_ERRORS = HEADER
  + 'F-1;0405791234X;Olsen Petter;277;NO;20;100;1;123,56;21,32;2634,30;000000001610;;Husleie\n'
  + 'F-2;923456783;Fjordlys AS;0277;NO;30;300;1;100;1;100;;;Konsulent\n';
const FIXED = HEADER
  + 'F-1;04057912345;Olsen Petter;0277;NO;20;100;1;123,56;21,32;2634,30;000000001610;100;Husleie\n'
  + 'F-2;923456783;Fjordlys AS;0277;NO;30;300;1;100;1;100;;;Konsulent\n';
const LOST = HEADER + 'LOST-1;04057912345;Olsen Petter;0277;NO;20;300;7;10;1;10;;;\n';

let srv;
const stage = new Stage();
const state = {};

before(async () => {
  srv = await stage.start({ name: 'enterprise' });
});

after(() => stage.stop());

// upload picks a file and presses Check, landing on the upload's page.
async function upload(page, name, content) {
  await page.goto(`${srv.base}/companies/${state.id}/imports`);
  await page.locator('#imp-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content, 'utf8') });
  await Promise.all([
    page.waitForURL(/\/imports\/\d+$/),
    page.locator('section[aria-labelledby="upload-h"] button[type="submit"]').click(),
  ]);
}

// send presses Send and waits (bounded, the page reloads itself) until
// nothing is waiting any more.
async function send(page) {
  await page.locator('#send-button').click();
  for (let i = 0; i < 40; i++) {
    await page.waitForLoadState('load');
    if (await page.locator('#imports-progress').count() === 0) return;
    await page.waitForTimeout(500);
  }
  throw new Error('sending did not finish');
}

test('connect Enterprise through the key form, never posting an order to check', async () => {
  const admin = await stage.open('enterprise-admin');
  const acc = await stage.open('enterprise-approver');
  state.admin = admin;
  const page = admin.page;
  await admin.step('request-access', async () => {
    await login(page, srv.base, srv.logins.admin);
    await page.goto(`${srv.base}/admin/companies`);
    await page.getByRole('link', { name: NO.name }).first().click();
    if (!/\/companies\/\d+$/.test(new URL(page.url()).pathname)) {
      await page.goto(`${srv.base}/`);
      await page.getByRole('link', { name: NO.name }).first().click();
    }
    state.id = Number(new URL(page.url()).pathname.split('/')[2]);
    assert.ok(state.id > 0, `company page ${page.url()}`);
    if (!(await page.locator('#connector').isVisible())) await page.getByText('Link options').click();
    await page.locator('#connector').selectOption('enterprise');
    await page.getByRole('button', { name: /^(Activate|Request access|Create a new consent link)$/ }).click();
  });
  const link = await page.evaluate(() => {
    const re = /https?:\/\/[^\s"]+\/connect\/[A-Za-z0-9_-]{20,}/;
    for (const el of document.querySelectorAll('input, textarea, a')) {
      const m = (el.value || el.getAttribute('href') || '').match(re);
      if (m) return m[0];
    }
    return null;
  });
  assert.ok(link, 'the company page shows the new link');

  const ap = acc.page;
  await acc.step('key-form', async () => {
    await ap.goto(link);
    // The web-service user to create is folded below the form.
    assert.equal(await ap.getByText('Fakturering: INSERT').isVisible(), false, 'the user to create is folded');
    await ap.locator('summary', { hasText: 'The web-service user to create in Enterprise' }).click();
    await visible(ap.getByText('Fakturering: Import av fakturagrunnlag'));
    await visible(ap.getByText('Fakturering: INSERT'));
    await visible(ap.locator('p.access', { hasText: 'Not read-only: Bilag can create invoice orders' }), 'what the connection does');
    assert.equal(await ap.locator('#f-orgnr').inputValue(), NO.org);
    await noAxe(ap, 'the Enterprise key form');
  });
  // Issue 25, item 11: on a phone the form opens on its fields.
  const phone = await stage.open('enterprise-approver-phone', PHONE);
  await phone.step('key-form-phone', async () => {
    await phone.page.goto(link);
    const first = await phone.page.locator('#f-approver_name').boundingBox();
    assert.ok(first && first.y + first.height <= PHONE.viewport.height, `the first field ends at ${first && first.y + first.height}px, below the first screen`);
    const h = await phone.page.evaluate(() => document.documentElement.scrollHeight);
    assert.ok(h <= 2600, `the key form is ${h}px tall on a phone`);
  });
  // The approver of a Norwegian company reads the form in bokmål.
  const nb = await stage.open('enterprise-approver-nb', { locale: 'nb-NO' });
  await nb.step('key-form-bokmal', async () => {
    await nb.page.goto(link);
    await visible(nb.page.getByText(/^Ikke skrivebeskyttet: Bilag kan opprette fakturagrunnlag i Enterprise Fakturering/));
    await visible(nb.page.getByText('Webservice-brukeren som skal opprettes i Enterprise'));
    await noAxe(nb.page, 'the Enterprise key form in bokmål');
  });
  const fill = async (password) => {
    await ap.locator('#f-approver_name').fill('Kari Nordmann');
    await ap.locator('#f-url').fill(`${srv.sandbox}/enterprise/fakturering_ws`);
    await ap.locator('#f-user').fill(WS.user);
    await ap.locator('#f-password').fill(password);
    await ap.locator('#f-company').fill('1');
    await ap.locator('#f-system').fill('WS');
    // The optional codes are folded until one holds a value.
    if (!(await ap.locator('#f-principals').isVisible())) await ap.locator('details.optional-fields summary').click();
    await ap.locator('#f-principals').fill('20, 30');
    await ap.locator('#f-confirm').check();
    await ap.getByRole('button', { name: /connect/i }).click();
  };
  await acc.step('wrong-password', async () => {
    await fill('wrong');
    await visible(ap.getByText(/refused this user and password/));
    assert.equal(await ap.evaluate(() => document.activeElement && document.activeElement.id), 'form-errors', 'the refusal opens on its summary');
  });
  await acc.step('connected', async () => {
    await fill(WS.password);
    await ap.waitForURL(/connect-result/);
    await visible(ap.getByText(NO.name));
  });
  const r = await fetch(`${srv.sandbox}/enterprise/orders?format=json`);
  assert.deepEqual(await r.json(), [], 'connecting posted no order');
  assert.deepEqual(acc.problems, []);
});

test('upload with errors, fix, send, history; a duplicate needs "send again"; a lost answer is unknown', async () => {
  const admin = state.admin;
  const page = admin.page;
  await admin.step('imports-page', async () => {
    await page.goto(`${srv.base}/companies/${state.id}`);
    await page.locator('#imports-link').click();
    await visible(page.locator('#imports-rules'));
    await noAxe(page, 'the import page');
  });
  await admin.step('upload-with-errors', async () => {
    await upload(page, 'orders.csv', WITH_ERRORS);
    await visible(page.getByText('A Norwegian postcode is four digits, such as 0277.'));
    await visible(page.getByText('An account is given on this line, so a VAT code is required.'));
    await visible(page.getByText('Digits only, at most 11.'));
    assert.equal(await page.locator('.finding-error').count(), 3);
    await noAxe(page, 'an upload with errors');
  });
  await admin.step('upload-fixed', async () => {
    await upload(page, 'orders.csv', FIXED);
    assert.equal(await page.locator('.finding-error').count(), 0);
    await visible(page.locator('#send-button'));
  });
  await admin.step('sent', async () => {
    await send(page);
    assert.equal(await page.locator('.import-order .badge-imp-accepted').count(), 2);
  });
  await admin.step('history', async () => {
    await page.goto(`${srv.base}/companies/${state.id}/imports`);
    assert.equal(await page.locator('#imports-history tbody tr').count(), 2);
    await visible(page.locator('#imports-history').getByText('/enterprise/fakturering_ws').first());
  });
  await admin.step('duplicate', async () => {
    await upload(page, 'orders.csv', FIXED);
    assert.equal(await page.locator('.import-order .badge-imp-duplicate').count(), 2);
    await page.locator('input[name="again"]').first().check();
    await send(page);
    await visible(page.getByText(/Your Enterprise server at .* refused the order/));
    await visible(page.getByText(/løpenummer 1 finnes fra før/));
    assert.equal(await page.locator('.import-order .badge-imp-duplicate').count(), 1);
  });
  await admin.step('lost-answer', async () => {
    await upload(page, 'lost.csv', LOST);
    await send(page);
    await visible(page.getByText(/Unknown: the order was sent but no answer came back/));
    await noAxe(page, 'an order with an unknown outcome');
  });
  await admin.step('sandbox-orders', async () => {
    await page.goto(`${srv.sandbox}/enterprise/orders`);
    await visible(page.getByText('LOST-1'));
    assert.equal(await page.locator('tbody tr').count(), 3);
  });
  assert.deepEqual(admin.problems, []);
});
