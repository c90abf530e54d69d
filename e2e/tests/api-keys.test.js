// An owner creates an API key in the UI, uses it from outside the browser,
// and revokes it again.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, urlPath, seen, seeText, unique, BASE_URL, OWNER } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

function getWorkspace(key) {
  return fetch(`${BASE_URL}/api/v1/workspace`, {
    headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
  });
}

test('a key created at /settings/api-keys works against the API until it is revoked', async () => {
  const { context, page } = await newPage(browser);
  const keyName = `e2e key ${unique()}`;
  try {
    await signIn(page, OWNER);
    await page.goto('/settings/api-keys');
    await page.getByLabel('Nombre de la clave').fill(keyName);
    await page.getByRole('button', { name: 'Crear clave' }).click();

    const keyInput = page.locator('input[data-testid="new-api-key"]');
    await seen(keyInput, 'the new key');
    const key = await keyInput.inputValue();
    assert.ok(key.length >= 20, `the key looks too short: ${JSON.stringify(key)}`);
    await seeText(page, 'Copia la clave ahora');
    const row = page.locator(`tr[data-key="${keyName}"]`);
    await seen(row, `the row of "${keyName}"`);

    // Used from node, not from the page: no cookies, only the key.
    const ok = await getWorkspace(key);
    assert.equal(ok.status, 200, await ok.clone().text());
    const body = await ok.json();
    assert.equal(body.slug, 'acme');
    assert.equal(body.name, 'Acme MX');

    // The key is shown once: reloading the page (a plain GET after the
    // post/redirect/get) no longer shows it and creates no second key.
    await page.reload();
    await seen(row, `the row of "${keyName}" on a fresh visit`);
    assert.equal(await row.count(), 1);
    assert.equal(await page.locator('input[data-testid="new-api-key"]').count(), 0);

    await row.getByRole('button', { name: 'Revocar' }).click();
    await page.waitForURL(urlPath('/settings/api-keys'));
    await seeText(page, 'Clave revocada.');
    await seen(row.getByText('Revocada', { exact: true }), 'the row marked "Revocada"');

    const revoked = await getWorkspace(key);
    assert.equal(revoked.status, 401, await revoked.clone().text());
  } finally {
    await context.close();
  }
});
