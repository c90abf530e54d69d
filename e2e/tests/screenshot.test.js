// A picture of the dashboard for people to look at (e2e/artifacts/dashboard.png).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { launchBrowser, newPage, signIn, seeText, artifactPath, OWNER } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the dashboard renders with its stylesheet and is saved as a screenshot', async () => {
  const { context, page } = await newPage(browser);
  try {
    await signIn(page, OWNER);
    await seeText(page.locator('main'), 'Acme MX');
    await page.waitForLoadState('load');

    // The stylesheet applied: the sidebar is dark and sits beside the content.
    const nav = page.getByRole('navigation', { name: 'Navegación principal' });
    const bg = await nav.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'the sidebar has no background: is app.css loaded?');
    const navBox = await nav.boundingBox();
    const mainBox = await page.locator('main').boundingBox();
    assert.ok(navBox && mainBox && navBox.x + navBox.width <= mainBox.x + 1,
      `the sidebar should be left of the content: nav=${JSON.stringify(navBox)} main=${JSON.stringify(mainBox)}`);

    const file = artifactPath('dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    assert.ok(statSync(file).size > 1000);
  } finally {
    await context.close();
  }
});
