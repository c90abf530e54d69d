// The README's "first five minutes": the demo a newcomer gets from
// `serve --demo`, photographed at laptop and phone widths. This test starts
// its own server with `--demo` on a fresh database (the suite's server has
// no demo workspace), signs in with the password the server prints once, and
// saves the pictures in e2e/artifacts/ (and in docs/screenshots/ when
// AF_E2E_DOCS=1, which is how the README's pictures are refreshed).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, seen, artifactPath, TIMEOUT } from '../lib/harness.js';

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

let browser;
let server;
let dir;
let base;
let password;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts `serve --demo` and resolves once it has printed the demo password. */
async function startDemo() {
  const bin = process.env.E2E_BIN;
  assert.ok(bin, 'E2E_BIN names the binary under test (scripts/e2e.sh sets it)');
  dir = mkdtempSync(join(tmpdir(), 'af-tour-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['serve', '--demo', '--bind', `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${join(dir, 'demo.db')}`,
      AF_DATA_DIR: join(dir, 'data'),
      AF_BASE_URL: base,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  server.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`no demo password within 60 s:\n${out}\n${err}`)), 60_000);
    server.on('exit', (code) => reject(new Error(`the demo server stopped (${code}):\n${out}\n${err}`)));
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/password: (\S+)/);
      if (m) {
        clearTimeout(limit);
        resolve(m[1]);
      }
    });
  });
}

before(async () => {
  password = await startDemo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function demoPage(viewport) {
  const context = await browser.newContext({ baseURL: base, locale: 'es-MX', viewport });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await page.goto('/login');
  await page.locator('input[name="email"]').fill('demo@agencyflow.local');
  await page.locator('input[name="password"]').fill(password);
  await page.locator('main form button').click();
  await page.waitForURL((u) => u.pathname === '/dashboard');
  return { context, page };
}

/** Saves a picture as an artifact, and in docs/ when asked to. */
async function picture(page, name) {
  const file = artifactPath(`tour-${name}.png`);
  await page.screenshot({ path: file });
  assert.ok(statSync(file).size > 10_000, `${name}.png looks empty`);
  if (process.env.AF_E2E_DOCS === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  }
}

/** The demo's first pipeline, opened from the pipelines list. */
async function openBoard(page) {
  await page.goto('/pipelines');
  await page.locator('main a[href^="/pipelines/"]:not([href$="/settings"])').first().click();
  await seen(page.locator('[data-testid="card"]').first(), 'a demo deal on the board');
}

test('the demo board, a deal drawer and a contact, photographed on a laptop', async () => {
  const { context, page } = await demoPage(LAPTOP);
  try {
    await openBoard(page);
    await picture(page, 'board');

    await page.locator('[data-testid="card"]').first().click();
    await page.locator('dialog#deal-drawer[open][data-ready]').waitFor({ state: 'visible', timeout: TIMEOUT });
    await picture(page, 'deal-drawer');

    await page.goto('/contacts');
    await page.locator('main table a[href^="/contacts/"]').first().click();
    await seen(page.locator('main h1'), 'the contact page');
    await picture(page, 'contact');
  } finally {
    await context.close();
  }
});

test('the demo board and contact list on a phone', async () => {
  const { context, page } = await demoPage(PHONE);
  try {
    await openBoard(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await picture(page, 'phone-board');

    await page.goto('/contacts');
    await seen(page.locator('[data-testid="contact-table"] tbody tr').first(), 'a demo contact');
    const display = await page.$eval('[data-testid="contact-table"]', (t) => getComputedStyle(t).display);
    assert.equal(display, 'block', 'the contact list reads as cards on a phone');
    await picture(page, 'phone-contacts');
  } finally {
    await context.close();
  }
});
