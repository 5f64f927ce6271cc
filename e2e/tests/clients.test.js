// The firm and its clients (issue 28, "Done when"): the analyst connects
// Fjällbacka through the sandbox and opens one of its documents, then
// invites one of the company's own people; demo mode catches the mail,
// where the admin reads the invitation link. The client chooses a password on
// a phone (390×844) whose browser asks for English, and reads Swedish, the
// company's language; logs in again, sees only their company, opens a
// document, sees that the analyst opened one, and withdraws Bilag's access
// (confirmed). The firm's side is told (a notification) and the company
// page shows no connection.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { login } = require('../lib/harness');
const { FJ, NS, ANNA, PHONE, visible, noAxe, Stage } = require('../lib/demo');

const KARIN = { name: 'Karin Klient', email: 'karin@fjallbacka.test', password: 'sju-blå-hästar-på-en-äng' };
const ANALYST = 'Anders Analytiker';

let srv;
const state = {};
const stage = new Stage();

before(async () => {
  srv = await stage.start({ name: 'clients' });
});

after(() => stage.stop());

// narrow asserts the page is no wider than the phone.
async function narrow(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= PHONE.viewport.width, `${what} is ${w}px wide on a ${PHONE.viewport.width}px phone`);
}

// openDocument finds a voucher of the company with a document, on the
// page as it is, and opens that document as the browser would.
async function openDocument(page, companyID) {
  await page.goto(`${srv.base}/companies/${companyID}/vouchers?has_documents=1`);
  const hrefs = await page.locator('table.vouchers tbody tr td:first-child a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const href of hrefs.slice(0, 10)) {
    await page.goto(srv.base + href);
    const tab = page.locator('a[href*="/documents/"]').first();
    if (await tab.count() === 0) continue;
    const r = await page.request.get(srv.base + await tab.getAttribute('href'));
    assert.equal(r.status(), 200, 'the document opens');
    return href;
  }
  throw new Error('no voucher with a document');
}

test('setup: the analyst connects Fjällbacka, its first sync ends, and the analyst opens a document', async () => {
  const analyst = await stage.open('clients-analyst');
  const acc = await stage.open('clients-accountant');
  state.analyst = analyst;
  await analyst.step('company', async (p) => {
    await login(p, srv.base, srv.logins.analyst);
    await p.getByRole('link', { name: FJ.name }).click();
    await visible(p.getByRole('heading', { level: 1, name: FJ.name }));
    state.fjID = Number(new URL(p.url()).pathname.split('/')[2]);
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
  await analyst.step('synced', async (p) => {
    for (let i = 0; i < 90; i++) {
      await p.goto(`${srv.base}/companies/${state.fjID}/vouchers`);
      if (await p.locator('table.vouchers tbody tr').count() > 0 && await p.locator('[data-sync-poll]').count() === 0) return;
      await p.waitForTimeout(500);
    }
    throw new Error('the first sync did not finish');
  });
  await analyst.step('opened-a-document', async (p) => openDocument(p, state.fjID));
  assert.deepEqual([...analyst.problems, ...acc.problems], []);
});

test('the analyst invites a client user; the demo catches the mail, which the admin reads', async () => {
  const { analyst } = state;
  await analyst.step('invite', async (p) => {
    await p.goto(`${srv.base}/companies/${state.fjID}`);
    const form = p.locator('#client-invite');
    await form.getByLabel('Name').fill(KARIN.name);
    await form.getByLabel('E-mail address').fill(KARIN.email);
    await form.getByRole('button', { name: 'Invite' }).click();
    // Demo mode catches mail instead of sending it (with no mail server
    // at all the page shows the link to copy: server/clients_test.go).
    await visible(p.getByText(`The invitation was e-mailed to ${KARIN.email}.`), 'the page says the invitation was e-mailed');
    await visible(p.locator('#clients').getByText(KARIN.email), 'the open invitation is listed');
    await noAxe(p, 'the company page with an open invitation');
  });
  const admin = await stage.open('clients-admin');
  await admin.step('caught-mail', async (p) => {
    await login(p, srv.base, srv.logins.admin);
    await p.goto(srv.base + '/admin/mail');
    const mail = p.locator('article.mail').filter({ hasText: KARIN.email }).first();
    await visible(mail, 'the invitation was caught');
    // In the company's language, with the English below.
    await visible(mail.getByText(/Inbjudan att se Fjällbacka Snickeri AB i Bilag \/ Invitation to see/), 'the subject is Swedish, then English');
    const text = await mail.locator('pre.mail-text').innerText();
    state.invite = text.match(new RegExp(`${srv.base}/invite/[A-Za-z0-9_-]{20,}`))[0];
  });
  assert.deepEqual([...analyst.problems, ...admin.problems], []);
});

test('the client chooses a password and logs in on a phone, in Swedish; sees only Fjällbacka; opens a document; sees the analyst\'s opening; withdraws', async () => {
  const phone = await stage.open('clients-client-phone', { ...PHONE, locale: 'en-GB' });
  state.phone = phone;
  const home = `${srv.base}/companies/${state.fjID}/client`;
  await phone.step('invitation', async (p) => {
    await p.goto(state.invite);
    // The browser asks for English; the company is Swedish.
    await visible(p.getByRole('heading', { level: 1, name: 'Välj ditt lösenord' }), 'the invitation is in Swedish');
    await visible(p.getByText(new RegExp(`bjuder in dig att se ${FJ.name} i Bilag`)), 'the invitation names the company');
    await narrow(p, 'the invitation page');
    await noAxe(p, 'the invitation page');
  });
  await phone.step('weak-password-refused', async (p) => {
    await p.getByLabel('Lösenord', { exact: true }).fill('kort');
    await p.getByLabel('Lösenordet igen').fill('kort');
    await p.getByRole('button', { name: 'Skapa min inloggning' }).click();
    await visible(p.locator('#new_password-err'), 'a weak password is refused with a reason');
    await noAxe(p, 'the invitation page with an error');
  });
  await phone.step('password-chosen', async (p) => {
    await p.getByLabel('Lösenord', { exact: true }).fill(KARIN.password);
    await p.getByLabel('Lösenordet igen').fill(KARIN.password);
    await Promise.all([
      p.waitForURL(home),
      p.getByRole('button', { name: 'Skapa min inloggning' }).click(),
    ]);
    await visible(p.getByRole('heading', { level: 1, name: FJ.name }));
  });
  await phone.step('logged-out', async (p) => {
    if (!await p.getByRole('button', { name: 'Logga ut' }).isVisible()) await p.locator('details.menu > summary').click();
    await p.getByRole('button', { name: 'Logga ut' }).click();
    await p.waitForURL((u) => u.pathname.startsWith('/login'));
  });
  await phone.step('home', async (p) => {
    await login(p, srv.base, KARIN);
    assert.equal(p.url(), home, 'the client lands on their company\'s page');
    await visible(p.getByRole('heading', { level: 1, name: FJ.name }));
    await visible(p.getByRole('heading', { name: 'Vem på byrån som öppnat era underlag' }), 'the page is in Swedish');
    // Who at the firm opened a document: by name, never an address.
    const opens = p.locator('ul.opens');
    await visible(opens.getByText(new RegExp(ANALYST)), 'the analyst\'s opening is listed by name');
    const text = await p.innerText('body');
    for (const never of [NS.name, 'analyst@demo.bilag.test', 'admin@demo.bilag.test', 'Anna Lindqvist']) {
      assert.ok(!text.includes(never), `the client's page shows ${never}`);
    }
    assert.equal(await p.locator('a[href^="/admin"]').count(), 0, 'no link to an admin page');
    await visible(p.getByText(/Bilag läser er bokföring i Visma eEkonomi/), 'the connection is named');
    await narrow(p, 'the client\'s page');
    await noAxe(p, 'the client\'s page');
  });
  await phone.step('elsewhere-closed', async (p) => {
    for (const path of ['/admin/users', '/statistics', '/notifications', `/companies/${state.fjID}/audit`]) {
      const r = await p.request.get(srv.base + path);
      assert.equal(r.status(), 404, `GET ${path} as the client`);
    }
    await p.goto(srv.base + '/');
    assert.equal(p.url(), home, 'the dashboard is the client\'s own page');
  });
  await phone.step('vouchers', async (p) => {
    await p.getByRole('link', { name: 'Verifikat och deras underlag' }).click();
    await visible(p.locator('table.vouchers tbody tr'), 'the company\'s vouchers are listed');
    await narrow(p, 'the vouchers list');
    await noAxe(p, 'the vouchers list as a client');
  }, { fullPage: false });
  await phone.step('document', async (p) => {
    state.clientVoucher = await openDocument(p, state.fjID);
    await narrow(p, 'the voucher page');
    await noAxe(p, 'the voucher page as a client');
  }, { fullPage: false });
  await phone.step('withdraw-unconfirmed', async (p) => {
    await p.goto(home);
    const form = p.locator('#client-withdraw');
    // The box is required: a browser will not send the form without it.
    await form.getByRole('button', { name: 'Dra tillbaka Bilags åtkomst' }).click();
    assert.equal(p.url(), home);
    await visible(p.locator('#client-connected'), 'nothing was withdrawn unconfirmed');
  });
  await phone.step('withdrawn', async (p) => {
    const form = p.locator('#client-withdraw');
    await form.getByLabel('Ja, dra tillbaka Bilags åtkomst till vår bokföring').check();
    await Promise.all([
      p.waitForURL(home),
      form.getByRole('button', { name: 'Dra tillbaka Bilags åtkomst' }).click(),
    ]);
    await visible(p.getByText(/Bilags åtkomst är tillbakadragen|Bilags nycklar är raderade/).first(), 'the page says the access is withdrawn');
    await visible(p.locator('#client-noaccess'), 'the page says Bilag has no access now');
    await narrow(p, 'the client\'s page after withdrawing');
    await noAxe(p, 'the client\'s page after withdrawing');
  });
  assert.deepEqual(phone.problems, []);
});

test('the firm is told and the company shows it', async () => {
  const { analyst } = state;
  await analyst.step('notified', async (p) => {
    await p.goto(srv.base + '/notifications');
    await visible(p.getByText(new RegExp(KARIN.name)).first(), 'a notification names the client who withdrew');
    await noAxe(p, 'the notifications');
  });
  await analyst.step('company-not-connected', async (p) => {
    await p.goto(`${srv.base}/companies/${state.fjID}`);
    await visible(p.getByText('Disconnected').first(), 'the company shows no connection');
    await visible(p.getByRole('button', { name: 'Create a new consent link' }), 'the company can be asked again');
    await visible(p.locator('#clients').getByText(KARIN.name), 'the client user is listed');
    await noAxe(p, 'the company page after the withdrawal');
  });
  await analyst.step('dashboard', async (p) => {
    await p.goto(srv.base + '/');
    const row = p.locator('tr').filter({ hasText: FJ.name }).first();
    await visible(row.getByText('Disconnected'), 'the dashboard says the company is disconnected');
    await noAxe(p, 'the dashboard');
  });
  assert.deepEqual(analyst.problems, []);
});
