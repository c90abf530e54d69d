// Members cannot reach the admin-only settings.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, seeText, MEMBER } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('a member opening /settings/api-keys gets the Spanish "Sin permiso" page', async () => {
  const { context, page } = await newPage(browser);
  try {
    await signIn(page, MEMBER);
    await seeText(page.getByRole('navigation'), 'Miembro', { exact: true });

    const res = await page.goto('/settings/api-keys');
    assert.equal(res.status(), 403);
    await seen(page.getByRole('heading', { name: 'Sin permiso' }), 'the heading "Sin permiso"');
    await seeText(page, 'Tu rol no permite esta acción.');
    assert.equal(await page.locator('input[data-testid="new-api-key"]').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Crear clave' }).count(), 0);
  } finally {
    await context.close();
  }
});
