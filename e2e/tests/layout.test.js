// Every signed-in page the navigation reaches (and the records its lists
// link to) fits a phone (390×844) and a laptop (1366×768): the page itself
// never scrolls sideways — wide tables and boards scroll inside their own
// area — and no page logs a console error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, OWNER } from '../lib/harness.js';

const VIEWPORTS = [{ width: 390, height: 844 }, { width: 1366, height: 768 }];
// Areas whose lists link to records worth visiting too (a contact, a board,
// a workflow, a form).
const LISTS = ['/contacts', '/pipelines', '/forms', '/automations', '/settings', '/messages'];
// Links that do something or download rather than show a page.
const SKIP = /logout|export|\/delete|\/erase|\/logo$/;

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function pagesToVisit(page) {
  const paths = new Set(['/dashboard']);
  await page.goto('/dashboard');
  for (const href of await page.$$eval('nav a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')))) {
    paths.add(href);
  }
  for (const list of LISTS) {
    await page.goto(list);
    const hrefs = await page.$$eval('main a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')));
    for (const href of hrefs.slice(0, 12)) paths.add(href);
  }
  return [...paths].filter((p) => !SKIP.test(p)).sort();
}

for (const viewport of VIEWPORTS) {
  test(`no signed-in page scrolls sideways at ${viewport.width}×${viewport.height}`, async () => {
    const { context, page } = await newPage(browser, { viewport });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`); });
    try {
      await signIn(page, OWNER);
      const paths = await pagesToVisit(page);
      assert.ok(paths.length >= 20, `visited only ${paths.length} pages: ${paths.join(', ')}`);
      const wide = [];
      for (const path of paths) {
        const res = await page.goto(path);
        assert.equal(res?.status(), 200, `${path} answers 200`);
        const { scroll, inner } = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          inner: window.innerWidth,
        }));
        if (scroll > inner) wide.push(`${path} is ${scroll} px wide`);
      }
      assert.deepEqual(wide, [], `pages wider than ${viewport.width} px`);
      assert.deepEqual(errors, [], 'console errors');
    } finally {
      await context.close();
    }
  });
}
