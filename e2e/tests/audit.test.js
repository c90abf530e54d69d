// The audit log in a real browser (issue 19): an owner changes something,
// opens Configuración → Auditoría, sees the change with its before → after,
// filters by action, follows the filter link of a row, and downloads the
// log as JSON lines (the download itself then appears in the log). The page
// renders with no CSP violation or console error, never scrolls sideways at
// 390 px, and passes axe-core on a phone and a laptop.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launchBrowser, newPage, signIn, seen, unique, OWNER, axeViolations as axe, watchConsole } from '../lib/harness.js';

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 768 };

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });



async function createContact(page) {
  await page.goto('/contacts/new');
  const name = `Auditada ${unique()}`;
  await page.locator('#new-contact-form input[name="first_name"]').fill(name);
  await page.locator('#new-contact-form input[name="email"]').fill(`${unique()}@example.com`);
  await page.locator('#new-contact-form button').first().click();
  await page.waitForURL((url) => /^\/contacts\/[0-9a-f-]{36}$/.test(url.pathname));
  return name;
}

test('a change appears in the audit log, filters work and the download is JSON lines', async () => {
  for (const viewport of [PHONE, LAPTOP]) {
    const { context, page } = await newPage(browser, { viewport, acceptDownloads: true });
    const errors = watchConsole(page);
    try {
      await signIn(page, OWNER);
      await createContact(page);
      await page.goto('/settings');
      await page.locator('a[href="/settings/audit"]').click();
      await page.waitForURL((url) => url.pathname === '/settings/audit');
      const rows = page.locator('[data-testid="audit-rows"] tbody tr');
      await seen(rows.first(), 'the audit rows');
      const created = page.locator('tr[data-action="contact.created"]').first();
      await seen(created, 'the contact.created row');
      assert.match(await created.textContent(), /Se creó el contacto/);
      assert.match(await created.textContent(), new RegExp(OWNER.email.replace('.', '\\.')));
      const { scroll, inner } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
      }));
      assert.ok(scroll <= inner, `the page is ${scroll} px wide at ${inner} px`);

      // Filter by action with the form.
      await page.getByLabel('Acción').fill('contact.created');
      await page.locator('[data-testid="audit-apply"]').click();
      await page.waitForURL((url) => url.searchParams.get('action') === 'contact.created');
      const actions = await page.locator('[data-testid="audit-rows"] tbody tr').evaluateAll(
        (trs) => trs.map((tr) => tr.getAttribute('data-action')),
      );
      assert.ok(actions.length > 0 && actions.every((a) => a === 'contact.created'), actions.join(','));

      // Download: JSON lines, PAUTA's fields on each line.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('[data-testid="audit-download"]').click(),
      ]);
      const text = await readFile(await download.path(), 'utf8');
      const lines = text.trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(lines.length > 0);
      for (const k of ['timestamp', 'action', 'channel', 'target', 'lead', 'result', 'detail']) {
        assert.ok(k in lines[0], `${k} in ${JSON.stringify(lines[0])}`);
      }
      assert.ok(lines.every((l) => l.action === 'contact.created'));
      // The download is in the log.
      await page.goto('/settings/audit?action=audit.exported');
      await seen(page.locator('tr[data-action="audit.exported"]').first(), 'the export row');
      assert.deepEqual(errors, [], 'console errors (CSP violations show here)');
      assert.equal(await page.locator('[style]').count(), 0, 'no inline style attributes');
    } finally {
      await context.close();
    }
  }
});

test('the audit page passes axe-core at 390 px and 1366 px', async () => {
  for (const viewport of [PHONE, LAPTOP]) {
    const { context, page } = await newPage(browser, { viewport, bypassCSP: true });
    try {
      await signIn(page, OWNER);
      await page.goto('/settings/audit');
      const found = await axe(page);
      assert.deepEqual(found, [], `axe violations at ${viewport.width} px:\n${found.join('\n')}`);
    } finally {
      await context.close();
    }
  }
});
