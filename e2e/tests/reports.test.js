// Dashboards and reports in a real browser (issue 19): the dashboard and
// every report render at phone and laptop width with no CSP violation or
// console error, never scroll sideways, and pass axe-core; "Ver tabla"
// opens with the keyboard; the period picker keeps its choice; each
// "Descargar CSV" link answers a CSV.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, newPage, signIn, seen, unique, urlPath, axeViolations, watchConsole, OWNER,
} from '../lib/harness.js';

const PAGES = [
  '/dashboard',
  '/dashboard?period=90',
  '/reports/leads_by_source',
  '/reports/leads_by_source?dim=utm_campaign&touch=last',
  '/reports/funnel',
  '/reports/automations',
  '/reports/messages',
  '/reports/bookings',
  '/accounts',
];
const VIEWPORTS = [{ width: 390, height: 844 }, { width: 1366, height: 768 }];

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

for (const viewport of VIEWPORTS) {
  test(`the dashboard and every report render cleanly at ${viewport.width} px`, async () => {
    const { context, page } = await newPage(browser, { viewport });
    const axeCtx = await newPage(browser, { viewport, bypassCSP: true });
    const errors = watchConsole(page);
    try {
      await signIn(page, OWNER);
      await signIn(axeCtx.page, OWNER);
      for (const path of PAGES) {
        const res = await page.goto(path);
        assert.equal(res.status(), 200, path);
        await seen(page.locator('main h1'), `${path} heading`);
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(wide <= 0, `${path} scrolls sideways by ${wide} px`);
        // Every drawn chart carries its title and description.
        for (const svg of await page.locator('main svg[role="img"]:visible').all()) {
          assert.ok(await svg.locator('title').count(), `${path}: a chart without <title>`);
          assert.ok(await svg.locator('desc').count(), `${path}: a chart without <desc>`);
        }
        await axeCtx.page.goto(path);
        const found = await axeViolations(axeCtx.page);
        assert.deepEqual(found, [], `${path} axe violations:\n${found.join('\n')}`);
      }
      assert.deepEqual(errors, [], `console errors (CSP violations included):\n${errors.join('\n')}`);
    } finally {
      await context.close();
      await axeCtx.context.close();
    }
  });
}

test('"Ver tabla" opens with the keyboard, the period sticks, and the CSV links answer CSV', async () => {
  const { context, page } = await newPage(browser);
  const errors = watchConsole(page);
  try {
    await signIn(page, OWNER);
    // A lead today, so the period has something to draw.
    await page.goto('/contacts/new');
    await page.locator('#new-contact-form input[name="first_name"]').fill(`Informe ${unique()}`);
    await page.locator('#new-contact-form input[name="email"]').fill(`${unique()}@example.com`);
    await page.locator('#new-contact-form button').first().click();
    await page.waitForURL((url) => /^\/contacts\/[0-9a-f-]{36}$/.test(url.pathname));
    await page.goto('/dashboard');
    await page.getByRole('link', { name: '7 días' }).click();
    await page.waitForURL((u) => u.pathname === '/dashboard' && u.searchParams.get('period') === '7');
    assert.equal(await page.locator('[data-testid="period-picker"] [aria-current="true"]').textContent(), '7 días');

    const card = page.locator('figure', { has: page.locator('summary') }).first();
    await seen(card, 'a chart card with a table toggle');
    const summary = card.locator('summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    await seen(card.locator('table'), 'the table behind "Ver tabla"');
    assert.ok(await card.locator('table tbody tr').count() > 0);
    await page.keyboard.press('Enter');
    assert.equal(await card.locator('details').getAttribute('open'), null);

    const href = await card.getByRole('link', { name: 'Descargar CSV' }).getAttribute('href');
    assert.match(href, /period=7/);
    const csv = await page.request.get(href);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /^text\/csv/);

    // A custom period from the picker's dates, kept across the tabs.
    await page.goto('/reports/messages');
    const custom = page.getByTestId('custom-period');
    await custom.locator('input[name="from"]').fill('2026-01-01');
    await custom.locator('input[name="to"]').fill('2026-01-31');
    await custom.getByRole('button').click();
    await page.waitForURL((u) => u.pathname === '/reports/messages' && u.searchParams.get('from') === '2026-01-01');
    await page.getByTestId('report-tabs').getByRole('link', { name: 'Citas' }).click();
    await page.waitForURL(urlPath('/reports/bookings'));
    assert.equal(new URL(page.url()).searchParams.get('to'), '2026-01-31');
    assert.deepEqual(errors, [], errors.join('\n'));
  } finally {
    await context.close();
  }
});
