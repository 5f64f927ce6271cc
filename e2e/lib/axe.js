// Accessibility: axe-core run inside the page. The portal's CSP allows only
// its own scripts, so axe is evaluated through the DevTools protocol
// (page.evaluate), which CSP does not govern; no inline <script> is added.
'use strict';

const axe = require('axe-core');

// audit returns the serious and critical violations on the current page,
// each as "rule: help (n nodes: selectors)".
async function audit(page) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!has) await page.evaluate(axe.source);
  const res = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  }));
  if (process.env.AXE_ALL) {
    for (const v of res.violations) console.log(`# axe ${page.url()} ${v.id} [${v.impact}]: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  }
  return res.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} [${v.impact}]: ${v.help} (${v.nodes.length}: ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')})`);
}

module.exports = { audit };
