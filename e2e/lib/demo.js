// What every browser story shares: the demo firm's companies and
// accountant, the phone the accountant reads on, and two checks.
'use strict';

const assert = require('node:assert/strict');
const { audit } = require('./axe');
const { startBilag, launchBrowser, person } = require('./harness');

const FJ = { name: 'Fjällbacka Snickeri AB', org: '556812-3474' };
const NS = { name: 'Norrsken Design AB', org: '559104-3210' };
const ANNA = { email: 'anna.lindqvist@example.se', password: 'anna123', name: 'Anna Lindqvist' };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// visible waits for the first match of loc to show, then asserts it does.
async function visible(loc, msg) {
  await loc.first().waitFor({ state: 'visible' });
  assert.ok(await loc.first().isVisible(), msg);
}

// noAxe fails on any serious or critical axe violation on the page.
async function noAxe(page, what) {
  assert.deepEqual(await audit(page), [], `axe on ${what}`);
}

// Stage is a test file's one binary and one browser, and the people it
// opened: start it in before(), stop it in after().
class Stage {
  constructor() {
    this.srv = null;
    this.browser = null;
    this.people = [];
  }

  async start(opts) {
    this.srv = await startBilag(opts);
    this.browser = await launchBrowser();
    return this.srv;
  }

  // open makes a person (a browser context) who is closed with the stage.
  async open(role, opts) {
    const p = await person(this.browser, role, opts);
    this.people.push(p);
    return p;
  }

  async stop() {
    for (const p of this.people) {
      try { await p.close(); } catch { /* already closed */ }
    }
    if (this.browser) await this.browser.close();
    if (this.srv) await this.srv.stop();
  }
}

module.exports = { FJ, NS, ANNA, PHONE, visible, noAxe, Stage };
