// What every browser story shares: the demo firm's companies and
// accountant, the phone the accountant reads on, and two checks.
'use strict';

const assert = require('node:assert/strict');
const { audit } = require('./axe');

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

module.exports = { FJ, NS, ANNA, PHONE, visible, noAxe };
