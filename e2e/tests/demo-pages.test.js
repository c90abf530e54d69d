// The pages an agency owner uses most, on the demo's real data (the suite's
// own server has empty lists), at phone and laptop widths:
// - each page's primary action is in view when the page opens, without
//   scrolling either way;
// - axe-core finds no WCAG A/AA violation in the states a plain page visit
//   never reaches: the deal drawer open, a contact with its quick actions,
//   a starter form in the builder.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, TIMEOUT, axeViolations as axe } from '../lib/harness.js';
import { startDemo, demoPage, openBoard } from '../lib/demo.js';

const VIEWPORTS = [{ width: 390, height: 844 }, { width: 1366, height: 768 }];

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

/** The first contact of the demo's list. */
async function firstContact(page) {
  await page.goto('/contacts');
  const href = await page.locator('[data-testid="contact-table"] a[href^="/contacts/"]').first().getAttribute('href');
  assert.ok(href, 'the demo has contacts');
  return href;
}

/** Whether the element is drawn wholly inside the viewport. */
async function inView(page, selector) {
  const el = page.locator(selector).first();
  await el.waitFor({ state: 'visible', timeout: TIMEOUT });
  return el.evaluate((node) => {
    const r = node.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
      && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  });
}


for (const viewport of VIEWPORTS) {
  test(`the primary action of each main page is in view on opening at ${viewport.width}×${viewport.height}`, async () => {
    const { context, page } = await demoPage(browser, demo, viewport);
    try {
      const contact = await firstContact(page);
      // [path, the primary action, what it is]
      const pages = [
        ['/contacts', '[data-testid="new-contact"]', 'new contact'],
        [contact, '[data-testid="reach"] a', 'reach the contact (WhatsApp, call, email)'],
        ['/forms', '[data-testid="new-form"]', 'new form'],
        ['/forms/new', '[data-testid="form-save"]', 'save the form'],
        ['/automations', '[data-testid="new-workflow"]', 'new automation'],
        ['/messages', '[data-testid="filter-channel"]', 'filter the outbox'],
        ['/settings/channels', '[data-testid="channels-save"]', 'save the channels'],
      ];
      const hidden = [];
      for (const [path, selector, what] of pages) {
        await page.goto(path);
        if (!(await inView(page, selector))) hidden.push(`${path}: ${what} (${selector})`);
      }
      await openBoard(page);
      if (!(await inView(page, '[data-testid="new-deal"]'))) hidden.push('board: new deal');
      await page.locator('[data-testid="card"]').first().click();
      await page.locator('dialog#deal-drawer[open][data-ready]').waitFor({ state: 'visible', timeout: TIMEOUT });
      if (!(await inView(page, '#deal-stage'))) hidden.push('drawer: the stage picker');
      assert.deepEqual(hidden, [], 'primary actions out of view');
    } finally {
      await context.close();
    }
  });

  test(`axe-core finds nothing with the drawer open, on a contact and in the builder at ${viewport.width}×${viewport.height}`, async () => {
    const { context, page } = await demoPage(browser, demo, viewport, { bypassCSP: true });
    try {
      const found = [];
      await openBoard(page);
      await page.locator('[data-testid="card"]').first().click();
      await page.locator('dialog#deal-drawer[open][data-ready]').waitFor({ state: 'visible', timeout: TIMEOUT });
      for (const v of await axe(page)) found.push(`drawer: ${v}`);

      await page.goto(await firstContact(page));
      for (const v of await axe(page)) found.push(`contact: ${v}`);

      for (const starter of ['contacto', 'cotizacion', 'cita']) {
        await page.goto(`/forms/new?starter=${starter}`);
        await page.locator('[data-testid="form-preview"] input, [data-testid="form-preview"] select').first()
          .waitFor({ state: 'attached', timeout: TIMEOUT });
        for (const v of await axe(page)) found.push(`builder (${starter}): ${v}`);
      }
      assert.deepEqual(found, [], `axe violations:\n${found.join('\n')}`);
    } finally {
      await context.close();
    }
  });
}
