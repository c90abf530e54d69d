// An owner adds an outbound webhook at Settings → Webhooks, copies its
// signing secret (shown once), sees an SSRF-refused URL explained inline,
// and deletes the endpoint after confirming.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, urlPath, seen, notSeen, seeText, unique, OWNER } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('a webhook created at /settings/webhooks shows its secret once and can be deleted', async () => {
  const { context, page } = await newPage(browser);
  // A public address written as an IP (no DNS needed here), subscribed to
  // an event no other test writes, so nothing is ever sent to it.
  const url = `https://93.184.215.14/e2e/${unique()}`;
  try {
    await signIn(page, OWNER);
    await page.goto('/settings');
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.waitForURL(urlPath('/settings/webhooks'));

    // The cloud metadata address is refused with a clear message, nothing saved.
    const form = page.locator('form[data-testid="new-webhook"]');
    await form.getByLabel('URL de destino').fill('http://169.254.169.254/latest/meta-data/');
    await form.locator('input[name="event_types"][value="appointment.cancelled"]').check();
    await form.getByRole('button', { name: 'Crear webhook' }).click();
    await seen(page.locator('[data-field-error="url"]'), 'the inline URL error');
    await seeText(page, 'No se guardó nada: corrige lo marcado.');
    await seeText(page.locator('[data-field-error="url"]'), '169.254.169.254');
    assert.equal(await page.locator('input[data-testid="new-webhook-secret"]').count(), 0);

    // What was ticked is kept; a public URL goes through.
    assert.ok(await form.locator('input[name="event_types"][value="appointment.cancelled"]').isChecked());
    await form.getByLabel('URL de destino').fill(url);
    await form.getByRole('button', { name: 'Crear webhook' }).click();
    await page.waitForURL(urlPath('/settings/webhooks'));

    const secretInput = page.locator('input[data-testid="new-webhook-secret"]');
    await seen(secretInput, 'the signing secret');
    const secret = await secretInput.inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]{20,}$/);
    await seeText(page, 'Copia el secreto de firma ahora');
    const row = page.locator(`tr[data-webhook="${url}"]`);
    await seen(row, `the row of ${url}`);
    await seeText(row, 'Canceló una cita');
    await seeText(row, 'Activo');

    // Shown once: a fresh visit lists the endpoint without its secret.
    await page.reload();
    await seen(row, `the row of ${url} on a fresh visit`);
    assert.equal(await page.locator('input[data-testid="new-webhook-secret"]').count(), 0);
    assert.equal((await page.content()).includes(secret), false);

    // Its delivery log opens (empty: nothing was sent).
    await row.getByRole('link', { name: 'Envíos' }).click();
    await seen(page.locator('[data-testid="no-deliveries"]'), 'the empty delivery log');
    await page.getByRole('link', { name: 'Volver a Webhooks' }).click();
    await page.waitForURL(urlPath('/settings/webhooks'));

    // Deleting asks first: cancelling keeps it, accepting removes it.
    page.once('dialog', (d) => d.dismiss());
    await row.getByRole('button', { name: 'Eliminar' }).click();
    await seen(row, 'the row still there after cancelling');
    page.once('dialog', (d) => {
      assert.match(d.message(), /Eliminar este webhook/);
      d.accept();
    });
    await row.getByRole('button', { name: 'Eliminar' }).click();
    await seeText(page.locator('[data-testid="webhooks-notice"]'), 'Webhook eliminado.');
    await notSeen(row, `the row of ${url}`);

    await page.reload();
    assert.equal(await row.count(), 0);
  } finally {
    await context.close();
  }
});
