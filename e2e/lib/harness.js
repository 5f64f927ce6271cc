// The harness: starts the real bilag binary in demo mode on loopback, drives
// Debian's Chromium through playwright-core, and records every step as a
// screenshot under e2e/artifacts/. On a failing step it prints the step, the
// URL and the page's visible text, so a CI log alone says what a person saw.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');
const BIN = process.env.BILAG_BIN || path.join(ROOT, 'bilag');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// freePort asks the kernel for a free loopback port.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, proc, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`bilag exited with ${proc.exitCode} before it answered`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not yet listening */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bilag did not answer ${url} within ${ms} ms`);
}

// startBilag runs `bilag serve` in demo mode with a fresh data dir on two
// free loopback ports (portal and sandbox). It returns the base URL, the demo
// logins read from demo-logins.txt, and stop().
async function startBilag({ name = 'bilag', env = {} } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`no binary at ${BIN}: run "make build" or set BILAG_BIN`);
  // artifacts/ is ignored by git, so a fresh clone has none yet.
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `bilag-e2e-${name}-`));
  const port = await freePort();
  let sbPort = await freePort();
  while (sbPort === port) sbPort = await freePort();
  const base = `http://localhost:${port}`;
  const log = fs.createWriteStream(path.join(ARTIFACTS, `${name}-server.log`));
  const proc = spawn(BIN, ['serve'], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME || dataDir,
      BILAG_DEMO: '1', BILAG_DATA_DIR: dataDir,
      BILAG_ADDR: `127.0.0.1:${port}`, BILAG_BASE_URL: base,
      BILAG_SANDBOX_ADDR: `127.0.0.1:${sbPort}`,
      BILAG_LOG_FORMAT: 'text',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  try {
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, proc, 20000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message} (see ${path.join(ARTIFACTS, `${name}-server.log`)})`);
  }
  const logins = {};
  for (const line of fs.readFileSync(path.join(dataDir, 'demo-logins.txt'), 'utf8').trim().split('\n')) {
    const [role, email, password] = line.split('\t');
    logins[role] = { email, password };
  }
  return {
    base, port, sandbox: `http://127.0.0.1:${sbPort}`, dataDir, logins,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(t);
      }
      log.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function launchBrowser() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

// Person is one browser context (one person's browser) with the step log.
class Person {
  constructor(role, context, page) {
    this.role = role;
    this.context = context;
    this.page = page;
    this.n = 0;
    this.problems = []; // CSP violations and page errors: none is allowed
  }

  // step runs fn, then saves <role>-NN-<name>.png; on failure it prints the
  // step, the URL and the visible text, saves <role>-NN-<name>-FAILED.png and
  // rethrows.
  // opts.fullPage false keeps the window as it is: a full-page shot resizes
  // the viewport, and Chromium's PDF viewer repaints late after a resize.
  async step(name, fn, opts = {}) {
    this.n += 1;
    const file = path.join(ARTIFACTS, `${this.role}-${String(this.n).padStart(2, '0')}-${name}.png`);
    try {
      const out = await fn(this.page);
      await this.page.screenshot({ path: file, fullPage: opts.fullPage !== false });
      console.log(`# screenshot ${path.relative(process.cwd(), file)}`);
      return out;
    } catch (e) {
      const failed = file.replace(/\.png$/, '-FAILED.png');
      let text = '';
      try { await this.page.screenshot({ path: failed, fullPage: true }); } catch { /* page gone */ }
      try { text = await this.page.innerText('body', { timeout: 2000 }); } catch { text = '(no body)'; }
      console.error([
        `# STEP FAILED: ${this.role} / ${name}`,
        `# URL: ${this.page.url()}`,
        `# screenshot: ${path.relative(process.cwd(), failed)}`,
        '# visible text:',
        text.split('\n').map((l) => `#   ${l}`).join('\n'),
      ].join('\n'));
      e.message = `[${this.role} / ${name} at ${this.page.url()}] ${e.message}`;
      throw e;
    }
  }

  async close() { await this.context.close(); }
}

// person opens a fresh context for one role. opts go to newContext (locale,
// viewport, javaScriptEnabled, ...).
async function person(browser, role, opts = {}) {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 }, ...opts });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(20000);
  const page = await context.newPage();
  const p = new Person(role, context, page);
  const watch = (pg) => {
    pg.on('console', (m) => {
      const t = m.text();
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(t)) p.problems.push(`CSP: ${t} (${pg.url()})`);
    });
    pg.on('pageerror', (err) => p.problems.push(`JS error: ${err.message} (${pg.url()})`));
  };
  watch(page);
  context.on('page', watch);
  return p;
}

// login fills the portal's login form as a person would.
async function login(page, base, who) {
  if (!page.url().includes('/login')) await page.goto(`${base}/login`);
  await page.getByLabel(/e-?mail/i).fill(who.email);
  await page.getByLabel(/password|lösenord/i).fill(who.password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/login')),
    page.getByRole('button', { name: /log in|logga in/i }).click(),
  ]);
}

module.exports = { ARTIFACTS, startBilag, launchBrowser, person, login, freePort };
