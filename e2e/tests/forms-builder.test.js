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

test('each field says where its answer is saved, and a custom field is created from the builder', async () => {
  const { context, page } = await newPage(browser);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await signIn(page, OWNER);
    await page.goto('/forms/new');
    const cards = page.locator('[data-testid="fb-field"]');
    await seen(cards.first(), 'a field editor');
    // A labelled select per field; "automatic" says where the name goes.
    const first = cards.first().getByLabel('Guardar en el contacto');
    await seen(first, 'the mapping select, by its label');
    assert.equal(await first.inputValue(), '');
    assert.equal(await first.locator('option:checked').textContent(), 'Automático: Nombre completo');
    // Types show their names, not codes.
    const types = await cards.first().getByLabel('Tipo').locator('option').allTextContents();
    assert.deepEqual(types, ['Texto', 'Correo', 'Teléfono', 'Lista', 'Texto largo', 'Casilla', 'Oculto']);

    await page.getByRole('button', { name: '+ Agregar campo' }).click();
    const last = cards.last();
    await last.getByLabel('Etiqueta (es)').fill('Presupuesto mensual');
    const mapping = last.getByLabel('Guardar en el contacto');
    await mapping.selectOption({ label: 'Solo en el envío' });
    assert.equal(await mapping.inputValue(), 'none');

    // "+ New custom field" opens a small form in the card.
    await mapping.selectOption({ label: '+ Nuevo campo personalizado' });
    const panel = last.locator('[data-testid="fb-new-cf"]');
    await seen(panel, 'the new custom field form');
    assert.equal(await mapping.inputValue(), 'none', 'the select keeps its value until the field exists');
    const label = panel.getByLabel('Nombre del campo');
    assert.equal(await label.inputValue(), 'Presupuesto mensual', 'prefilled with the field label');
    // A refusal is shown on the input.
    await label.fill(' ');
    await panel.getByRole('button', { name: 'Crear y usar' }).click();
    await seen(panel.getByText('Escribe una etiqueta de 1 a 80 caracteres.'), 'the label error');
    assert.equal(await panel.getByLabel('Nombre del campo').getAttribute('aria-invalid'), 'true');
    const name = `Presupuesto ${unique()}`;
    await panel.getByLabel('Nombre del campo').fill(name);
    await panel.getByLabel('Tipo de dato').selectOption({ label: 'Número' });
    // Enter creates it (it does not save the whole form).
    await panel.getByLabel('Nombre del campo').press('Enter');
    await seen(page.getByText(`Campo personalizado «${name}» creado`), 'the created message');
    assert.equal(await last.locator('[data-testid="fb-new-cf"]').count(), 0);
    const key = `custom:${name.toLowerCase().replace(' ', '_')}`;
    assert.equal(await mapping.inputValue(), key);
    assert.equal(await mapping.locator('option:checked').textContent(), name);
    // Every field can now pick it.
    assert.equal(await cards.first().getByLabel('Guardar en el contacto').locator(`option[value="${key}"]`).count(), 1);

    await page.locator('[data-testid="form-name"]').fill(`Mapeo ${unique()}`);
    await page.locator('[data-testid="form-save"]').click();
    await seen(page.locator('[data-testid="embed-snippet"]'), 'the embed snippet after saving');
    assert.equal(await cards.last().getByLabel('Guardar en el contacto').inputValue(), key, 'the mapping was saved');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the preview switches between Spanish and English', async () => {
  const { context, page } = await newPage(browser);
  try {
    await signIn(page, OWNER);
    await page.goto('/forms/new?starter=cotizacion');
    const preview = page.locator('[data-testid="form-preview"]');
    await seen(preview.getByText('Presupuesto', { exact: true }), 'the Spanish label');
    await seen(preview.getByRole('button', { name: 'Enviar' }), 'the Spanish button');
    const group = page.getByRole('group', { name: 'Idioma de la vista previa' });
    const en = group.getByRole('button', { name: 'Inglés' });
    const es = group.getByRole('button', { name: 'Español' });
    assert.equal(await es.getAttribute('aria-pressed'), 'true');
    await en.click();
    assert.equal(await en.getAttribute('aria-pressed'), 'true');
    assert.equal(await es.getAttribute('aria-pressed'), 'false');
    await seen(preview.getByText('Budget', { exact: true }), 'the English label');
    await seen(preview.getByRole('button', { name: 'Send' }), 'the English button');
    assert.equal(await preview.getAttribute('lang'), 'en');
    assert.equal(await preview.getByText('Presupuesto', { exact: true }).count(), 0);
    // English texts typed in the builder show at once; Spanish fills gaps.
    await page.getByLabel('Texto del botón (en)').fill('Get my quote');
    await seen(preview.getByRole('button', { name: 'Get my quote' }), 'the English button text');
    await page.locator('[data-testid="fb-field"]').first().getByLabel('Etiqueta (en)').fill('');
    await seen(preview.getByText('Nombre *', { exact: true }), 'the Spanish label where English is missing');
    await es.click();
    await seen(preview.getByText('Presupuesto', { exact: true }), 'Spanish again');
    assert.equal(await preview.getByText('Budget', { exact: true }).count(), 0);
  } finally {
    await context.close();
  }
});

test('the preview stays in view on a laptop and the builder fits a phone', async () => {
  const laptop = await newPage(browser);
  try {
    await signIn(laptop.page, OWNER);
    await laptop.page.goto('/forms/new?starter=cotizacion');
    const pane = laptop.page.locator('[data-testid="form-preview-pane"]');
    await seen(laptop.page.locator('[data-testid="form-preview"] button'), 'the preview');
    // To the end of the fields (the save button itself stays in view: its
    // bar is sticky).
    await laptop.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    assert.ok(await laptop.page.evaluate(() => window.scrollY) > 300, 'the page scrolled');
    const box = await pane.boundingBox();
    assert.ok(box && box.y >= 0 && box.y < 100, `the preview stays at the top: ${JSON.stringify(box)}`);
  } finally {
    await laptop.context.close();
  }
  const phone = await newPage(browser, { viewport: { width: 390, height: 844 } });
  try {
    await signIn(phone.page, OWNER);
    await phone.page.goto('/forms/new?starter=cotizacion');
    const cards = phone.page.locator('[data-testid="fb-field"]');
    await seen(cards.first(), 'a field editor');
    const overflow = () => phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(await overflow(), 0, 'no horizontal scroll');
    await cards.last().getByLabel('Guardar en el contacto').selectOption({ label: '+ Nuevo campo personalizado' });
    await seen(cards.last().locator('[data-testid="fb-new-cf"]'), 'the new custom field form');
    await cards.last().locator('[data-testid="fb-new-cf"]').getByLabel('Tipo de dato').selectOption({ label: 'Lista de opciones' });
    assert.equal(await overflow(), 0, 'no horizontal scroll with the new field form open');
    // Stacked: the preview follows the fields.
    const builderBox = await phone.page.locator('[data-testid="form-builder"]').boundingBox();
    const previewBox = await phone.page.locator('[data-testid="form-preview-pane"]').boundingBox();
    assert.ok(previewBox.y > builderBox.y, 'the preview is below the fields on a phone');
    assert.ok(previewBox.x + previewBox.width <= 390, 'the preview fits the screen');
  } finally {
    await phone.context.close();
  }
});
