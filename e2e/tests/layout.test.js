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

test('list tables read as cards on a phone and as tables on a laptop', async () => {
  for (const [viewport, expected] of [[{ width: 390, height: 844 }, 'block'], [{ width: 1366, height: 768 }, 'table']]) {
    const { context, page } = await newPage(browser, { viewport });
    try {
      await signIn(page, OWNER);
      // Lists here may be empty (no table drawn), so a row of the same
      // markup is put into the page: the stylesheet decides its shape.
      await page.goto('/messages');
      const shape = await page.evaluate(() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend',
          '<table class="af-cards" id="probe"><thead><tr><th>A</th></tr></thead><tbody><tr><td data-label="A">1</td></tr></tbody></table>');
        const t = document.getElementById('probe');
        return { table: getComputedStyle(t).display, head: t.querySelector('thead').getBoundingClientRect().height };
      });
      assert.equal(shape.table, expected, `a list table at ${viewport.width} px`);
      if (expected === 'block') assert.ok(shape.head <= 1, 'the header row is hidden on a phone (each cell carries its label)');
    } finally {
      await context.close();
    }
  }
});
