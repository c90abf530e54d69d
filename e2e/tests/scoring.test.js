// Lead scoring in a real browser (issue 17): an owner creates a contact,
// logs a visit on its page, and the score and the "¿Por qué?" panel change
// in place (htmx swap, no reload). The Puntuación page and its dashboard
// (the server-drawn SVG chart) render with no CSP violation and no console
// error, pass axe-core, and never scroll sideways at 390 px.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, unique, OWNER, axeViolations as axe, watchConsole } from '../lib/harness.js';

const PHONE = { width: 390, height: 844 };
const PAGES = ['/contacts/scoring', '/contacts/scoring/panel'];
/** The contact the first test scores (its page is checked too). */
let contactPath;

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });


/** Console errors (Chromium reports each CSP violation as one). */

const total = (page) => page.locator('[data-testid="score-total"]');

test('logging a visit changes the score and the "¿Por qué?" panel in place', async () => {
  const { context, page } = await newPage(browser);
  const errors = watchConsole(page);
  try {
    await signIn(page, OWNER);
    await page.goto('/contacts/new');
    const name = `Valeria ${unique()}`;
    await page.locator('#new-contact-form input[name="first_name"]').fill(name);
    await page.locator('#new-contact-form input[name="email"]').fill(`${unique()}@example.com`);
    await page.locator('#new-contact-form button').first().click();
    await page.waitForURL((url) => /^\/contacts\/[0-9a-f-]{36}$/.test(url.pathname));
    contactPath = new URL(page.url()).pathname;

    await seen(total(page), 'the score');
    assert.equal((await total(page).textContent()).trim(), '0');
    const why = page.locator('[data-testid="score-why"]');
    assert.match(await why.locator('summary').textContent(), /¿Por qué 0\?/);

    // Log a visit with the form (type "Visita" is the first choice).
    const form = page.locator('[data-testid="log-activity-form"]');
    await form.locator('select[name="type"]').selectOption({ label: 'Visita' });
    await form.getByLabel('Nota').fill('Visitó la sucursal');
    await form.getByRole('button', { name: 'Registrar' }).click();

    // The section is swapped: new total, the panel open with its line.
    await page.waitForFunction(() => document.querySelector('[data-testid="score-total"]')?.textContent.trim() === '10');
    assert.match(await page.locator('[data-testid="score-why"] summary').textContent(), /¿Por qué 10\?/);
    assert.equal(await page.locator('[data-testid="score-why"]').getAttribute('open'), '');
    const line = page.locator('[data-score-line]').first();
    await seen(line, 'the ledger line');
    assert.match(await line.textContent(), /\+10/);
    assert.match(await page.locator('[data-rule-group]').first().textContent(), /Visita registrada/);
    assert.match(await page.locator('[data-testid="contact-activities"]').textContent(), /Visitó la sucursal/);
    assert.equal((await page.locator('#header-score').textContent()).trim(), '10', 'the header follows');
    // The line's link reaches its activity in the list.
    const href = await line.locator('a').getAttribute('href');
    assert.ok(href?.startsWith('#activity-'), href);
    assert.equal(await page.locator(href).count(), 1);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await context.close();
  }
});

test('the scoring pages render without CSP violations and fit 390 px', async () => {
  const { context, page } = await newPage(browser, { viewport: PHONE });
  const errors = watchConsole(page);
  try {
    await signIn(page, OWNER);
    for (const path of [...PAGES, contactPath ?? '/contacts']) {
      const res = await page.goto(path);
      assert.equal(res?.status(), 200, `${path} answers 200`);
      const { scroll, inner } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
      }));
      assert.ok(scroll <= inner, `${path} is ${scroll} px wide at ${inner} px`);
    }
    await page.goto('/contacts/scoring/panel');
    const chart = page.locator('svg[data-testid="score-chart"]');
    await seen(chart, 'the chart');
    assert.equal(await chart.getAttribute('role'), 'img');
    assert.ok((await chart.locator('rect').count()) > 0, 'bars drawn');
    const box = await chart.boundingBox();
    assert.ok(box && box.width <= PHONE.width && box.height > 20, `chart box ${JSON.stringify(box)}`);
    assert.equal(await page.locator('[style]').count(), 0, 'no inline style attributes');
    assert.deepEqual(errors, [], 'console errors (CSP violations show here)');
  } finally {
    await context.close();
  }
});

test('the scoring pages pass axe-core at 390 px and 1366 px', async () => {
  for (const viewport of [PHONE, { width: 1366, height: 768 }]) {
    const { context, page } = await newPage(browser, { viewport, bypassCSP: true });
    try {
      await signIn(page, OWNER);
      const found = [];
      for (const path of [...PAGES, contactPath ?? '/contacts']) {
        await page.goto(path);
        for (const v of await axe(page)) found.push(`${path}: ${v}`);
      }
      assert.deepEqual(found, [], `axe violations at ${viewport.width} px:\n${found.join('\n')}`);
    } finally {
      await context.close();
    }
  }
});
