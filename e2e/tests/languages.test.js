// Every page a firm's people see, in Danish, bokmål and Finnish (issue 24,
// item 3): the demo admin, who also sees what an analyst sees, walks the
// portal with a browser that asks for the language, and each page is in
// it: html lang, and no heading, column head, label or button left as the
// English page has it (names and numbers aside). The screenshots
// (artifacts/lang-<lang>-NN-<page>.png) are for a person to read.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { FJ, noAxe, Stage } = require('../lib/demo');

const ADMIN = { email: 'admin@demo.bilag.test' };
const LOCALES = { da: 'da-DK', nb: 'nb-NO', fi: 'fi-FI' };

const stage = new Stage();
let srv;
let password;

before(async () => {
  srv = await stage.start({ name: 'languages' });
  ({ password } = srv.logins.admin);
  assert.equal(srv.logins.admin.email, ADMIN.email);
});
after(() => stage.stop());

// pages are the portal's pages, by path; {co} is Fjällbacka's id.
const pages = [
  ['dashboard', '/'],
  ['company', '/companies/{co}'],
  ['vouchers', '/companies/{co}/vouchers'],
  ['lookup', '/companies/{co}/vouchers/lookup?number=X999'],
  ['imports', '/companies/{co}/imports'],
  ['audit', '/companies/{co}/audit'],
  ['notifications', '/notifications'],
  ['settings', '/settings'],
  ['users', '/admin/users'],
  ['user-new', '/admin/users/new'],
  ['companies', '/admin/companies'],
  ['company-new', '/admin/companies/new'],
  ['company-import', '/admin/companies/import'],
  ['mail', '/admin/mail'],
];

// labels are the page's headings, column heads, labels, buttons and
// links of its navigation: the words a page is made of, not its data.
async function labels(page) {
  return page.locator('h1, h2, h3, th, label, button, legend, summary, header nav a').evaluateAll((els) => els
    .filter((el) => el.offsetParent !== null)
    .map((el) => el.innerText.trim().replace(/\s+/g, ' '))
    .filter((t) => t !== ''));
}

// isData tells a label that is the same in every language because it is
// data or a name: a number, a company or person of the demo, a system's
// name, a language's own name, or a sign.
function isData(text) {
  return /\d/.test(text) || /^(Visma|Bilag|SHA-256|PDF|API|CSV|OK|Status|Finland|Administrator|Administration|Problem|Bank)\b/.test(text) ||
    /Lindqvist|Astrid|Demo|@/.test(text) || / (AB|ApS|AS|A\/S|Oy|Oyj)$/.test(text) ||
    ['English', 'Svenska', 'Dansk', 'Norsk bokmål', 'Suomi'].includes(text) || !/\p{L}{2}/u.test(text);
}

// sameAsEnglish is the language's list of words that are rightly spelt as
// in English (Danish "Dimension"), the one views' TestCoverage allows too.
function sameAsEnglish(lang) {
  const file = path.join(__dirname, '..', '..', 'views', 'testdata', 'same_as_english', `${lang}.txt`);
  return new Set(fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
}

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`every page in ${lang}`, async () => {
    const same = sameAsEnglish(lang);
    const en = await stage.open(`lang-en-for-${lang}`, { locale: 'en-GB' });
    const p = await stage.open(`lang-${lang}`, { locale });
    for (const who of [en, p]) {
      await who.page.goto(`${srv.base}/login`);
      await who.page.locator('input[name=email]').fill(ADMIN.email);
      await who.page.locator('input[name=password]').fill(password);
      await Promise.all([who.page.waitForURL((u) => !u.pathname.startsWith('/login')), who.page.locator('form button[type=submit]').first().click()]);
    }
    await p.page.goto(`${srv.base}/`);
    const co = await p.page.locator(`a:has-text("${FJ.name}")`).first().getAttribute('href');
    const id = co.match(/\/companies\/(\d+)/)[1];
    for (const [name, path] of pages) {
      const url = `${srv.base}${path.replace('{co}', id)}`;
      await en.page.goto(url);
      const english = new Set(await labels(en.page));
      await p.step(name, async (page) => {
        await page.goto(url);
        assert.equal(await page.locator('html').getAttribute('lang'), lang, `${name}: html lang`);
        const own = await labels(page);
        assert.ok(own.length > 0, `${name}: no headings, labels or buttons`);
        const untranslated = own.filter((t) => english.has(t) && !isData(t) && !same.has(t));
        assert.deepEqual(untranslated, [], `${name}: words still in English`);
      });
    }
    await noAxe(p.page, `the last page in ${lang}`);
  });
}
