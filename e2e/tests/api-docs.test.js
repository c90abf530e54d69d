// The API reference in a real browser: an owner follows the link from
// Configuración → Claves API to /api/docs, served under the strict CSP
// (no console error, so no CSP violation), in Spanish and in English, on a
// laptop and a 390 px phone without sideways scrolling, axe-core clean.
// The cURL shown for listing contacts points at this server, and with a
// real key its URL answers; the copy button copies it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, seeText, BASE_URL, OWNER, axeViolations as axe, watchConsole, createApiKey } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the API reference is linked from settings, strict-CSP clean, bilingual and usable on a phone', async () => {
  const { context, page } = await newPage(browser, { bypassCSP: false });
  const errors = watchConsole(page);
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
    await signIn(page, OWNER);
    const key = await createApiKey(page, 'docs');
    await page.getByRole('link', { name: 'Ver la referencia de la API' }).click();
    await page.waitForURL(/\/api\/docs/);
    await seen(page.getByRole('heading', { name: 'Referencia de la API', level: 1 }), 'the Spanish heading');
    await seen(page.getByRole('heading', { name: 'Contactos', level: 2 }), 'the Contacts group');

    // The cURL of "list contacts" names this server, and its URL answers
    // with a real key.
    const op = page.locator('article#contacts_list');
    const curl = await op.locator('[data-testid="curl"]').innerText();
    assert.match(curl, new RegExp(`curl -X GET "${BASE_URL}/api/v1/contacts`), curl);
    const url = curl.match(/"([^"]+)"/)[1];
    const res = await fetch(url, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(Array.isArray((await res.json()).data));

    // The copy button appears (the script runs under the CSP) and copies.
    const copy = op.getByRole('button', { name: /Copiar/ });
    await seen(copy, 'the copy button');
    await copy.click();
    await seeText(page, 'Copiado.');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), curl);

    // English on request.
    await page.goto('/api/docs?lang=en');
    await seen(page.getByRole('heading', { name: 'API reference', level: 1 }), 'the English heading');
    await seen(page.getByRole('heading', { name: 'Contacts', level: 2 }), 'the English group');
    assert.deepEqual(errors, [], 'no console errors, so no CSP violation');
  } finally {
    await context.close();
  }

  // A phone, with axe injected (its context bypasses the CSP).
  const phone = await newPage(browser, { viewport: { width: 390, height: 844 }, bypassCSP: true });
  try {
    await phone.page.goto('/api/docs');
    await seen(phone.page.getByRole('heading', { name: 'Referencia de la API', level: 1 }), 'the heading on a phone');
    const wide = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 391, `the page scrolls sideways on a phone: ${wide}px`);
    assert.deepEqual(await axe(phone.page), []);
  } finally {
    await phone.context.close();
  }
});
