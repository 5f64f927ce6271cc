// The accountant's consent link pages (issue 14, items 1-6), in Chromium:
// the phone-first page in Swedish and English at 390×844 and on a desktop,
// who asks, the "checking permissions" step, the reopened result, the
// messages that fit what happened, times in the company's zone, and the
// path without JavaScript. One binary, one browser.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { login } = require('../lib/harness');
const { audit } = require('../lib/axe');
const { FJ, NS, ANNA, PHONE, visible, Stage } = require('../lib/demo');

const SARA = { email: 'sara.holm@example.se', password: 'sara123' };
const PRIVACY = 'https://demoanalys.example/integritet';
const DESKTOP = { viewport: { width: 1280, height: 900 } };
const LOCALE = { sv: 'sv-SE', en: 'en-GB' };
const T = {
  sv: { give: 'Ge behörighet', readonly: /^Endast läsning/, sentby: 'Skickad av', checking: 'Kontrollerar behörigheter…', connected: 'Kopplat', done: 'Klart', connectedAt: 'kopplades', by: 'av', bad: 'Inte kopplat', retry: 'Försök igen' },
  en: { give: 'Give permission', readonly: /^Read only/, sentby: 'Sent by', checking: 'Checking permissions…', connected: 'Connected', done: 'Done', connectedAt: 'was connected on', by: 'by', bad: 'Not connected', retry: 'Try again' },
};

let srv;
let analyst;
let analystName;
// CET in winter, CEST in summer: the zone the Swedish company's pages name.
const SE_ZONE = /\b(CET|CEST)\b/;

const stage = new Stage();
const open = (role, opts) => stage.open(role, opts);

// makeLink: the analyst presses the company page's link button and reads
// the link from the page.
async function makeLink(company) {
  const page = analyst.page;
  await page.goto(srv.base + '/');
  await page.getByRole('link', { name: company.name }).first().click();
  await page.getByRole('heading', { level: 1, name: company.name }).waitFor();
  await page.locator('form[action$="/links"] button[type=submit]').first().click();
  const url = await page.locator('#new-link').inputValue();
  assert.match(url, new RegExp(`^${srv.base}/connect/[A-Za-z0-9_-]{20,}$`));
  return url;
}

// upstream: at the sandbox's Visma pages, logs in when asked, picks the
// company when the picker shows, then allows or denies. It returns when
// the browser is back at the portal (the decision's click is in flight).
async function upstream(acc, who, company, decision, { hold } = {}) {
  const page = acc.page;
  await page.waitForURL((u) => u.origin === srv.sandbox);
  if (await page.getByRole('heading', { name: 'Log in' }).isVisible()) {
    await page.getByLabel('E-mail').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
  }
  await page.getByRole('heading', { name: /Choose company|Allow access\?/ }).first().waitFor();
  if (await page.getByRole('heading', { name: 'Choose company' }).isVisible()) {
    await page.getByRole('radio', { name: new RegExp(company.name) }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
  }
  await page.getByRole('button', { name: decision === 'allow' ? 'Allow' : 'Deny' }).click();
  if (!hold) await page.waitForURL((u) => u.origin === srv.base && u.pathname === '/connect-result');
}

// insideViewport asserts that loc's box lies wholly in the window and that
// the element at its centre is loc itself (nothing covers it).
async function insideViewport(page, loc, what) {
  const box = await loc.boundingBox();
  const vp = page.viewportSize();
  assert.ok(box, `${what} has no box`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height,
    `${what} at ${JSON.stringify(box)} is not inside ${vp.width}×${vp.height}`);
  const onTop = await loc.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return at === el || el.contains(at);
  });
  assert.ok(onTop, `${what} is covered at its centre`);
}

before(async () => {
  srv = await stage.start({ name: 'accountant', env: { BILAG_FIRM_PRIVACY_URL: PRIVACY } });
  analyst = await open('acc-analyst');
  await analyst.page.goto(srv.base + '/login');
  await login(analyst.page, srv.base, srv.logins.analyst);
  analystName = (await analyst.page.locator('.who').first().innerText()).trim();
});

after(() => stage.stop());

// Items 1, 2 and 5: the first screen holds who asks, for what, "read only"
// and the button, in both languages and sizes; the rest folds; the sender,
// the firm's contact, privacy notice and logo show; times name their zone.
test('consent page: phone first, who asks, in Swedish and English', async () => {
  const link = await makeLink(FJ);
  for (const lang of ['sv', 'en']) {
    for (const [size, opts] of [['phone', PHONE], ['desktop', DESKTOP]]) {
      const acc = await open(`acc-consent-${lang}-${size}`, { ...opts, locale: LOCALE[lang] });
      const page = acc.page;
      const t = T[lang];
      await acc.step('first-screen', async () => {
        await page.goto(link);
        const give = page.getByRole('button', { name: t.give });
        // On first paint, without scrolling: the button is in the window.
        await insideViewport(page, give, `${t.give} (${lang}, ${size})`);
        await insideViewport(page, page.getByRole('heading', { level: 1 }), `the heading (${lang}, ${size})`);
        await insideViewport(page, page.locator('.orgnr'), `the organisation number (${lang}, ${size})`);
        await insideViewport(page, page.getByText(t.readonly), `"read only" (${lang}, ${size})`);
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= opts.viewport.width, `page is ${w}px wide in a ${opts.viewport.width}px window`);
      }, { fullPage: false });
      if (size === 'phone') {
        await acc.step('details-folded', async () => {
          // Requirements and steps are folded, and open without script.
          const details = page.locator('article.consent details');
          assert.ok(await details.count() >= 3, 'requirements, steps and the rest fold into <details>');
          for (const d of await details.all()) assert.equal(await d.getAttribute('open'), null, 'a <details> is open on first paint');
          await details.nth(2).locator('summary').click();
          await visible(details.nth(2).locator('li').first());
          // Scrolled to the end, the button is still within reach (sticky).
          await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
          await insideViewport(page, page.getByRole('button', { name: t.give }), `${t.give} after scrolling`);
        });
      }
      await acc.step('who-asks', async () => {
        await visible(page.locator('.brand.firm', { hasText: 'Demo Analys AB' }));
        const logo = page.locator('.brand.firm img');
        assert.ok(await logo.evaluate((img) => img.complete && img.naturalWidth > 0), 'the firm logo loads');
        await visible(page.getByText(`${t.sentby} ${analystName}`));
        await visible(page.getByRole('link', { name: /@/ }));
        assert.equal(await page.locator(`a[href="${PRIVACY}"]`).count(), 1, 'the privacy notice is linked');
        await visible(page.getByText(lang === 'sv' ? 'Bilag är tjänsten som Demo Analys AB använder' : 'Bilag is the service Demo Analys AB uses'));
        assert.match(await page.locator('article.consent > p.muted.small').last().innerText(), SE_ZONE, 'the link\'s expiry names its zone');
      });
      if (size === 'phone') {
        const bad = await audit(page);
        assert.deepEqual(bad, [], `axe on the consent page (${lang})`);
      }
      assert.deepEqual(acc.problems, []);
    }
  }
});

// Items 6, 3 and 5: after Allow, a "checking permissions" page shows while
// the check runs (held here, as a slow Visma holds it), the code never in
// its URL; then the result. Reopened later, the used link says "Done" with
// what, when (in the company's zone) and who, and no error.
test('checking step, then the reopened link shows its real state', async () => {
  const link = await makeLink(FJ);
  const acc = await open('acc-connect-sv-phone', { ...PHONE, locale: LOCALE.sv });
  const page = acc.page;
  const seen = [];
  page.on('request', (r) => { if (r.url().startsWith(srv.base)) seen.push(r.url()); });
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/oauth/eaccounting/check', async (route) => { await held; await route.continue(); });
  await acc.step('open', async () => {
    await page.goto(link);
    await page.getByRole('button', { name: T.sv.give }).click();
  });
  let checkingHTML = '';
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/oauth/eaccounting/callback');
  try {
    await upstream(acc, ANNA, FJ, 'allow', { hold: true });
    {
      // No screenshot here: a screenshot waits for the held navigation.
      // The callback answers at once with the checking page; the refresh to
      // the check is under way (held, as a slow Visma holds it), and what
      // the window shows meanwhile is that page.
      const resp = await answered;
      assert.equal(resp.status(), 200);
      const body = await resp.text();
      assert.ok(body.includes(`<h1><span class="spinner" aria-hidden="true"></span>${T.sv.checking}</h1>`), 'the callback answers with the checking page');
      assert.ok(body.includes('content="0;url=/oauth/eaccounting/check"') && body.includes('>Fortsätt</button>'), 'the checking page moves on, by itself and by a button');
      assert.equal(resp.headers()['referrer-policy'], 'no-referrer');
      checkingHTML = body;
    }
  } finally {
    release();
  }
  // The checking page as shown, held still (its refresh taken out) for a
  // screenshot and axe.
  const still = await open('acc-checking-sv-phone', { ...PHONE, locale: LOCALE.sv });
  await still.page.route(`${srv.base}/checking-still`, (r) => r.fulfill({
    contentType: 'text/html; charset=utf-8', body: checkingHTML.replace(/<meta http-equiv="refresh"[^>]*>/, ''),
  }));
  await still.step('checking', async (p) => {
    await p.goto(`${srv.base}/checking-still`);
    await visible(p.getByRole('heading', { level: 1, name: T.sv.checking }));
    await visible(p.getByRole('button', { name: 'Fortsätt' }));
    assert.deepEqual(await audit(p), [], 'axe on the checking page');
  });
  await acc.step('connected', async () => {
    await page.waitForURL((u) => u.pathname === '/connect-result');
    await visible(page.getByRole('heading', { level: 1, name: T.sv.connected }));
    assert.match(await page.locator('article').innerText(), SE_ZONE, 'the approval time names its zone');
    assert.deepEqual(await audit(page), [], 'axe on the result page');
  });
  const check = seen.find((u) => new URL(u).pathname === '/oauth/eaccounting/check');
  assert.ok(check, 'the browser went through the check');
  assert.ok(!/[?&]code=/.test(check) && !/[?&]state=/.test(check), `the check's URL carries the callback's parameters: ${check}`);

  // Reopened, in both languages and sizes: "Done", never a failure.
  for (const lang of ['sv', 'en']) {
    for (const [size, opts] of [['phone', PHONE], ['desktop', DESKTOP]]) {
      const again = await open(`acc-reopen-${lang}-${size}`, { ...opts, locale: LOCALE[lang] });
      const t = T[lang];
      await again.step('reopened', async (p) => {
        const resp = await p.goto(link);
        assert.equal(resp.status(), 200);
        await visible(p.getByRole('heading', { level: 1, name: t.done }));
        const text = await p.locator('article').innerText();
        assert.ok(text.includes(`${FJ.name} (${FJ.org}) ${t.connectedAt}`), `reopened link: ${text}`);
        assert.ok(text.includes(`${t.by} ${ANNA.name}`), `the reopened link names the approver: ${text}`);
        assert.match(text, SE_ZONE);
        assert.equal(await p.locator('.error, .result-bad').count(), 0, 'the reopened link shows an error box');
        assert.ok(!text.includes(t.bad) && !text.includes('redan använts') && !text.includes('already been used'), text);
        assert.equal(await p.getByRole('button', { name: t.give }).count(), 0);
        if (size === 'phone') assert.deepEqual(await audit(p), [], `axe on the reopened link (${lang})`);
      });
      assert.deepEqual(again.problems, []);
    }
  }
  assert.deepEqual(acc.problems, []);
});

// Item 4: a decline does not claim access was withdrawn; the wrong company
// leads with what was chosen and what to choose; a missing permission
// offers the link to a colleague, with until when it works.
test('messages that fit what happened', async () => {
  const fjLink = await makeLink(FJ);
  const declined = await open('acc-declined', { ...PHONE, locale: LOCALE.en });
  await declined.step('declined', async (p) => {
    await p.goto(fjLink);
    await p.getByRole('button', { name: T.en.give }).click();
    await upstream(declined, ANNA, FJ, 'deny');
    await visible(p.getByRole('heading', { level: 1, name: T.en.bad }));
    await visible(p.getByText('You declined the request in Visma'));
    const text = await p.locator('article').innerText();
    assert.ok(!/withdrawn/i.test(text), `a decline says access was withdrawn: ${text}`);
    await visible(p.getByRole('button', { name: T.en.retry }));
  });

  const nsLink = await makeLink(NS);
  for (const lang of ['sv', 'en']) {
    const wrong = await open(`acc-wrong-${lang}`, { ...PHONE, locale: LOCALE[lang] });
    await wrong.step('wrong-company', async (p) => {
      await p.goto(nsLink);
      await p.getByRole('button', { name: T[lang].give }).click();
      await upstream(wrong, ANNA, FJ, 'allow');
      const lead = lang === 'sv'
        ? `Du valde ${FJ.name} (${FJ.org}). Tryck på Försök igen och välj ${NS.name} (${NS.org}).`
        : `You chose ${FJ.name} (${FJ.org}). Press Try again and choose ${NS.name} (${NS.org}).`;
      const first = p.locator('article .lead');
      assert.equal((await first.innerText()).trim(), lead, 'the wrong-company page leads with what to choose');
      await insideViewport(p, p.getByRole('button', { name: T[lang].retry }), 'Try again');
      await visible(p.getByText(/default company|standardföretag/).first());
      assert.equal(await p.locator('#share-link').count(), 0, 'no colleague\'s link where trying again helps');
      assert.deepEqual(await audit(p), [], 'axe on the wrong-company page');
    });
  }

  const perm = await open('acc-permission', { ...PHONE, locale: LOCALE.sv });
  await perm.step('missing-permission', async (p) => {
    await p.goto(nsLink);
    await p.getByRole('button', { name: T.sv.give }).click();
    await upstream(perm, SARA, NS, 'allow');
    await visible(p.getByRole('heading', { level: 2, name: 'Skicka länken till en kollega med fullständig behörighet' }));
    const share = p.getByRole('textbox', { name: 'Länken att skicka' });
    assert.equal(await share.inputValue(), nsLink);
    assert.equal(await share.getAttribute('readonly'), '');
    await visible(p.getByRole('button', { name: 'Kopiera' }));
    assert.match(await p.locator('.share').innerText(), /fungerar till \d{1,2} \w+ \d{4} \d\d:\d\d (CET|CEST)/);
    await visible(p.getByText('åtkomsten du gav har dragits tillbaka'));
    assert.deepEqual(await audit(p), [], 'axe on the missing-permission page');
  });
  assert.deepEqual([...declined.problems, ...perm.problems], []);
});

// The path without JavaScript still completes, through the checking step
// (a meta refresh, with a button for a browser that does not follow it).
test('without JavaScript: the accountant connects through the checking step', async () => {
  const link = await makeLink(FJ);
  const acc = await open('acc-nojs', { ...PHONE, locale: LOCALE.sv, javaScriptEnabled: false });
  await acc.step('give-permission', async (p) => {
    await p.goto(link);
    await insideViewport(p, p.getByRole('button', { name: T.sv.give }), 'Ge behörighet without JavaScript');
    await p.getByRole('button', { name: T.sv.give }).click();
  });
  await upstream(acc, ANNA, FJ, 'allow');
  await acc.step('connected', async (p) => {
    await visible(p.getByRole('heading', { level: 1, name: T.sv.connected }));
  });
  assert.deepEqual(acc.problems, []);
});
