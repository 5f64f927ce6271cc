// Missing documents and the approver's receipt on a phone (issue 29,
// "Done when"; issue 28's brief C item 6). The approver approves on a
// phone (390×844) and opens the receipt of the approval; after the first
// sync, the analyst on a phone reads Fjällbacka's missing documents (the
// list, the counts per month, the CSV), gives the company a contact
// address, and tells it what is missing: demo mode catches the mail,
// where the admin reads it.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { login } = require('../lib/harness');
const { FJ, ANNA, PHONE, visible, noAxe, Stage } = require('../lib/demo');

const CONTACT = 'ekonomi@fjallbacka.example.se';

let srv;
const state = {};
const stage = new Stage();

before(async () => {
  srv = await stage.start({ name: 'missing' });
});

after(() => stage.stop());

// narrow asserts the page is no wider than the phone.
async function narrow(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= PHONE.viewport.width, `${what} is ${w}px wide on a ${PHONE.viewport.width}px phone`);
}

test('the approver approves on a phone and opens the receipt', async () => {
  const analyst = await stage.open('missing-analyst', { ...PHONE, locale: 'en-GB' });
  const approver = await stage.open('missing-approver-phone', { ...PHONE, locale: 'sv-SE' });
  state.analyst = analyst;
  await analyst.step('link', async (p) => {
    await login(p, srv.base, srv.logins.analyst);
    await p.getByRole('link', { name: FJ.name }).first().click();
    await visible(p.getByRole('heading', { level: 1, name: FJ.name }));
    state.fjID = Number(new URL(p.url()).pathname.split('/')[2]);
    await p.getByRole('button', { name: 'Request access' }).click();
    state.link = await p.locator('#new-link').inputValue();
  });
  await approver.step('approved', async (p) => {
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
    await narrow(p, 'the result page');
  });
  await approver.step('receipt', async (p) => {
    await p.getByRole('link', { name: /^(Ditt kvitto|Your receipt)$/ }).click();
    await visible(p.getByRole('heading', { level: 1, name: /^(Kvitto på ditt godkännande|Receipt for your approval)$/ }), 'the receipt opens');
    const text = await p.innerText('body');
    assert.ok(text.includes(FJ.name), 'the receipt names the company');
    assert.ok(text.includes(ANNA.name), 'the receipt names who approved');
    await narrow(p, 'the receipt');
    await noAxe(p, 'the receipt');
  });
  assert.deepEqual([...analyst.problems, ...approver.problems], []);
});

test('the analyst reads the missing documents on a phone and tells the company', async () => {
  const { analyst } = state;
  const page = `${srv.base}/companies/${state.fjID}/missing`;
  await analyst.step('synced', async (p) => {
    for (let i = 0; i < 90; i++) {
      await p.goto(`${srv.base}/companies/${state.fjID}/vouchers`);
      if (await p.locator('table.vouchers tbody tr').count() > 0 && await p.locator('[data-sync-poll]').count() === 0) return;
      await p.waitForTimeout(500);
    }
    throw new Error('the first sync did not finish');
  }, { fullPage: false });
  await analyst.step('missing', async (p) => {
    await p.goto(page);
    await visible(p.getByRole('heading', { level: 1, name: 'Missing documents' }));
    await visible(p.locator('#missing-total'), 'the total is shown');
    await visible(p.locator('#missing-months tbody tr'), 'the counts per month are listed');
    await visible(p.locator('#missing-list tbody tr'), 'the vouchers are listed');
    const csv = await p.request.get(srv.base + await p.locator('#missing-csv').getAttribute('href'));
    assert.equal(csv.status(), 200, 'the CSV downloads');
    assert.match(csv.headers()['content-type'], /^text\/csv/);
    assert.match(await csv.text(), /^\ufeffdate,number,kind,type,text,amount,accounts/);
    // No client users and no contact address: nobody to write to.
    await visible(p.locator('#missing-message-nobody'), 'the page says there is nobody to write to');
    await narrow(p, 'the missing-documents page');
    await noAxe(p, 'the missing-documents page');
  });
  await analyst.step('contact', async (p) => {
    await p.locator('#missing-message-nobody a').click();
    await p.locator('details.contact-edit > summary').click();
    await p.getByLabel('Contact address').fill(CONTACT);
    await p.locator('#contact-form').getByRole('button', { name: 'Save' }).click();
    await visible(p.getByText(`Contact address set to ${CONTACT}.`), 'the contact address is saved');
    await narrow(p, 'the company page with a contact address');
    await noAxe(p, 'the company page with a contact address');
  });
  await analyst.step('message', async (p) => {
    await p.goto(page + '#missing-message');
    const section = p.locator('#missing-message');
    await visible(section.getByText(CONTACT), 'the message goes to the contact address');
    const text = await p.locator('#missing-text').inputValue();
    assert.match(text, /^Hej!/, 'the message is in Swedish, the company\'s language');
    assert.match(text, /· \d{4}-\d\d-\d\d · /, 'each voucher with its date and amount');
    await narrow(p, 'the message');
    await noAxe(p, 'the message');
  });
  await analyst.step('sent', async (p) => {
    await p.getByRole('button', { name: 'Send (recipients: 1)' }).click();
    await visible(p.getByText('The message was sent (recipients: 1).'), 'the page says it was sent');
    await narrow(p, 'the page after sending');
  });
  const admin = await stage.open('missing-admin');
  await admin.step('caught-mail', async (p) => {
    await login(p, srv.base, srv.logins.admin);
    await p.goto(srv.base + '/admin/mail');
    const mail = p.locator('article.mail').filter({ hasText: CONTACT }).first();
    await visible(mail, 'the message was caught');
    await visible(mail.getByText(/Underlag som saknas i Fjällbacka Snickeri AB:s bokföring/), 'its subject is Swedish');
  });
  assert.deepEqual([...analyst.problems, ...admin.problems], []);
});
