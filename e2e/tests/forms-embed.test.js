// A form embedded in a plain third-party page (another origin) captures the
// page's UTM parameters, validates as the visitor types, submits without a
// reload, and the lead lands in the CRM with that attribution and its deal
// on the form's stage.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launchBrowser, newPage, signIn, seen, unique, BASE_URL, OWNER } from '../lib/harness.js';

let browser;
let landing;
let landingUrl;
let formId;
let key;

before(async () => {
  browser = await launchBrowser();
  landing = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Landing</title>
<style>input { border: 5px solid red; } body { font-family: serif; }</style></head>
<body><h1>Agencia de prueba</h1>
<script src="${BASE_URL}/embed.js" async></script>
<div data-af-form="${formId}"></div>
</body></html>`);
  });
  await new Promise((resolve) => landing.listen(0, '127.0.0.1', resolve));
  landingUrl = `http://127.0.0.1:${landing.address().port}`;
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => landing?.close(resolve));
});

async function api(key, method, path, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

test('an embedded form captures UTMs, validates live and books the lead on its stage', async () => {
  const { context, page } = await newPage(browser);
  try {
    // An API key from the UI, then a form on the pipeline's second stage.
    await signIn(page, OWNER);
    await page.goto('/settings/api-keys');
    await page.getByLabel('Nombre de la clave').fill(`embed ${unique()}`);
    await page.getByRole('button', { name: 'Crear clave' }).click();
    const keyInput = page.locator('input[data-testid="new-api-key"]');
    await seen(keyInput, 'the new key');
    key = await keyInput.inputValue();
    const pipelines = await api(key, 'GET', '/api/v1/pipelines');
    assert.equal(pipelines.status, 200, JSON.stringify(pipelines.body));
    const list = pipelines.body.data ?? pipelines.body;
    const stage = list[0].stages[1];
    const created = await api(key, 'POST', '/api/v1/forms', {
      name: 'Landing e2e',
      fields: [
        { name: 'name', type: 'text', label: 'Nombre', required: true },
        { name: 'email', type: 'email', label: 'Correo', required: true },
      ],
      stage_id: stage.id,
      tags: ['e2e'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    formId = created.body.id;
  } finally {
    await context.close();
  }

  const { context: visitor, page: lp } = await newPage(browser);
  try {
    await lp.goto(`${landingUrl}/?utm_source=google&utm_campaign=x`);
    // Playwright's CSS locators pierce the (open) shadow root.
    const email = lp.locator('[data-testid="af-field-email"]');
    await seen(email, 'the embedded email field');
    // The host page's red borders do not leak into the form.
    const border = await email.evaluate((el) => getComputedStyle(el).borderTopColor);
    assert.notEqual(border, 'rgb(255, 0, 0)');

    const address = `lead.${unique()}@example.com`;
    await lp.locator('[data-testid="af-field-name"]').fill('Visitante Embebido');
    await email.fill('no-es-un-correo');
    await email.blur();
    const error = lp.locator('[data-testid="af-error-email"]');
    await seen(error.getByText('Escribe un correo válido.'), 'the live email error');
    await email.fill(address);
    await email.blur();
    assert.equal((await error.textContent()).trim(), '');

    // A person takes a few seconds to fill a form (the server drops faster posts).
    await lp.waitForTimeout(3500);
    await lp.locator('[data-testid="af-submit"]').click();
    await seen(lp.locator('[data-testid="af-success"]'), 'the success message');
    assert.equal(new URL(lp.url()).pathname, '/', 'no page reload or navigation');

    // The contact, its attribution and its deal.
    const k = key;
    const found = await api(k, 'GET', `/api/v1/contacts?q=${encodeURIComponent(address)}`);
    assert.equal(found.body.data.length, 1, JSON.stringify(found.body));
    const contact = await api(k, 'GET', `/api/v1/contacts/${found.body.data[0].id}`);
    assert.equal(contact.body.attribution.first.utm_source, 'google');
    assert.equal(contact.body.attribution.first.utm_campaign, 'x');
    assert.ok(contact.body.attribution.first.landing_page.startsWith(landingUrl), JSON.stringify(contact.body.attribution));
    assert.deepEqual(contact.body.tags, ['e2e']);
    const deals = await api(k, 'GET', `/api/v1/deals?contact_id=${found.body.data[0].id}`);
    const stages = deals.body.data.map((d) => d.stage_id);
    const form = await api(k, 'GET', `/api/v1/forms/${formId}`);
    assert.deepEqual(stages, [form.body.stage_id]);
  } finally {
    await visitor.close();
  }
});
