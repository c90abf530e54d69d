// The form builder edits fields visually with a live preview and saves.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, unique, OWNER } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the builder adds a field, previews it live and saves the form', async () => {
  const { context, page } = await newPage(browser);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await signIn(page, OWNER);
    await page.goto('/forms/new');
    const name = `Builder ${unique()}`;
    await page.locator('[data-testid="form-name"]').fill(name);
    // The default fields are edited visually, not as JSON.
    await seen(page.locator('[data-testid="fb-field"]').first(), 'a field editor');
    assert.equal(await page.locator('[data-testid="fb-field"]').count(), 3);
    await page.getByRole('button', { name: '+ Agregar campo' }).click();
    assert.equal(await page.locator('[data-testid="fb-field"]').count(), 4);
    const last = page.locator('[data-testid="fb-field"]').last();
    await last.getByLabel('Etiqueta (es)').fill('Presupuesto mensual');
    const preview = page.locator('[data-testid="form-preview"]');
    await seen(preview.getByText('Presupuesto mensual'), 'the new label in the preview');
    await page.getByLabel('Texto del botón (es)').fill('Quiero mi cotización');
    await seen(preview.getByText('Quiero mi cotización'), 'the button text in the preview');
    await page.locator('[data-testid="form-save"]').click();
    await seen(page.locator('[data-testid="embed-snippet"]'), 'the embed snippet after saving');
    const snippet = await page.locator('[data-testid="embed-snippet"]').inputValue();
    assert.match(snippet, /data-af-form="[0-9a-f-]{36}"/);
    assert.equal(await page.locator('[data-testid="fb-field"]').count(), 4);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
