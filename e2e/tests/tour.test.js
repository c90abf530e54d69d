// The README's "first five minutes": the demo a newcomer gets from
// `serve --demo`, photographed at laptop and phone widths. This test starts
// its own server with `--demo` on a fresh database (the suite's server has
// no demo workspace), signs in with the password the server prints once, and
// saves the pictures in e2e/artifacts/ (and in docs/screenshots/ when
// AF_E2E_DOCS=1, which is how the README's pictures are refreshed).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, seen, artifactPath, TIMEOUT } from '../lib/harness.js';
import { startDemo, demoPage as signedIn, openBoard } from '../lib/demo.js';

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

let browser;
let demo;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  demo?.stop();
});

const demoPage = (viewport) => signedIn(browser, demo, viewport);

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
