// The kanban board in a real browser: an owner makes an API key in the UI,
// creates contacts and deals through the JSON API, opens the same board in
// two pages, drags a card to another column with the mouse (SortableJS), and
// the other page shows the move live (server-sent events) without a reload;
// after a reload of the first page the card is still in its new column.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, seeText, unique, BASE_URL, OWNER, TIMEOUT } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function createApiKey(page) {
  await page.goto('/settings/api-keys');
  await page.getByLabel('Nombre de la clave').fill(`e2e board ${unique()}`);
  await page.getByRole('button', { name: 'Crear clave' }).click();
  const keyInput = page.locator('input[data-testid="new-api-key"]');
  await seen(keyInput, 'the new key');
  return keyInput.inputValue();
}

async function api(key, method, path, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      Accept: 'application/json',
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

/** The column (ul) of a stage and a card (li) of a deal on `page`. */
const columnOf = (page, stageId) => page.locator(`ul#cards-${stageId}`);
const cardIn = (page, stageId, dealId) => columnOf(page, stageId).locator(`li[data-deal-id="${dealId}"]`);

/** Drags `card` onto `target` with real mouse steps, as a person would. */
async function drag(page, card, target) {
  await card.scrollIntoViewIfNeeded();
  const from = await card.boundingBox();
  const to = await target.boundingBox();
  assert.ok(from && to, 'the card and the column are on screen');
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  // Small first steps so SortableJS recognises a drag, then across.
  await page.mouse.move(from.x + from.width / 2 + 5, from.y + from.height / 2 + 5, { steps: 5 });
  await page.mouse.move(to.x + to.width / 2, to.y + Math.min(to.height / 2, 40), { steps: 20 });
  await page.mouse.move(to.x + to.width / 2, to.y + Math.min(to.height / 2, 40) + 2, { steps: 2 });
  await page.mouse.up();
}

test('a card dragged to another column moves live on a second page and stays after a reload', async () => {
  const first = await newPage(browser);
  const second = await newPage(browser);
  try {
    await signIn(first.page, OWNER);
    const key = await createApiKey(first.page);

    // Data through the JSON API (the contract of issue 3).
    const pipelines = await api(key, 'GET', '/api/v1/pipelines');
    const list = Array.isArray(pipelines) ? pipelines : pipelines.data;
    const pipeline = list.find((p) => p.is_default) || list[0];
    const stages = [...pipeline.stages].sort((a, b) => a.position - b.position);
    assert.ok(stages.length >= 2, 'the default pipeline has stages');
    const [from, to] = stages;
    const tag = unique();
    const deals = [];
    for (const name of ['Rosa', 'Iván', 'Elena']) {
      const contact = await api(key, 'POST', '/api/v1/contacts', {
        first_name: name,
        last_name: `Tablero ${tag}`,
        email: `${name.normalize('NFD').replace(/[^a-zA-Z]/g, '').toLowerCase()}.${tag}@example.com`,
        tags: ['e2e'],
      });
      const deal = await api(key, 'POST', '/api/v1/deals', {
        contact_id: contact.id,
        pipeline_id: pipeline.id,
        stage_id: from.id,
        title: `Proyecto ${name} ${tag}`,
        value: 1_500_000,
        currency: 'MXN',
      });
      deals.push(deal);
    }
    const moving = deals[deals.length - 1]; // newest: on top of its column

    // The same board in two pages (two signed-in sessions), both live.
    await signIn(second.page, OWNER);
    for (const page of [first.page, second.page]) {
      await page.goto(`/pipelines/${pipeline.id}`);
      await seen(cardIn(page, from.id, moving.id), 'the new card in the first column');
      await page.locator('#board[data-live="on"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    }
    await seeText(first.page, `Proyecto Elena ${tag}`);

    // Watch the second page for a reload: it must not happen.
    let reloaded = false;
    second.page.on('framenavigated', (frame) => {
      if (frame === second.page.mainFrame()) reloaded = true;
    });

    const card = cardIn(first.page, from.id, moving.id);
    await drag(first.page, card, columnOf(first.page, to.id));
    await seen(cardIn(first.page, to.id, moving.id), 'the card in the target column on the first page');

    // Live on the second page.
    await seen(cardIn(second.page, to.id, moving.id), 'the card moved live on the second page');
    assert.equal(await cardIn(second.page, from.id, moving.id).count(), 0, 'gone from the first column');
    assert.equal(reloaded, false, 'the second page did not reload');

    // Persisted: a reload of the first page shows it where it was dropped.
    await first.page.reload();
    await seen(cardIn(first.page, to.id, moving.id), 'the card in the target column after a reload');
    assert.equal(await cardIn(first.page, from.id, moving.id).count(), 0);

    // And the API agrees.
    const after = await api(key, 'GET', `/api/v1/deals/${moving.id}`);
    assert.equal(after.stage_id, to.id);
  } finally {
    await first.context.close();
    await second.context.close();
  }
});

test('a deal created by an automation step appears on an open board without a reload', async () => {
  const { page, context } = await newPage(browser);
  try {
    await signIn(page, OWNER);
    const key = await createApiKey(page);
    const pipelines = await api(key, 'GET', '/api/v1/pipelines');
    const list = Array.isArray(pipelines) ? pipelines : pipelines.data;
    const pipeline = list.find((p) => p.is_default) || list[0];
    const stages = [...pipeline.stages].sort((a, b) => a.position - b.position);
    const target = stages[1];
    const tag = `vivo-${unique()}`.toLowerCase();

    // A workflow whose only step puts the contact on the board: with no
    // open deal in that pipeline, `move_to_stage` creates one.
    await api(key, 'POST', '/api/v1/workflows', {
      name: `Al tablero ${tag}`,
      trigger: { type: 'tag_added', tag },
      steps: [{ type: 'move_to_stage', stage_id: target.id }],
      active: true,
    });
    const contact = await api(key, 'POST', '/api/v1/contacts', {
      first_name: 'Automática',
      last_name: tag,
      email: `${tag}@example.com`,
    });

    await page.goto(`/pipelines/${pipeline.id}`);
    await page.locator('#board[data-live="on"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    let reloaded = false;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) reloaded = true;
    });

    // Tagging the contact routes the event to the workflow, whose step
    // (run by the server's worker) creates the deal.
    await api(key, 'PATCH', `/api/v1/contacts/${contact.id}`, { add_tags: [tag] });
    const card = columnOf(page, target.id).locator('li[data-deal-id]', { hasText: `Automática ${tag}` });
    await seen(card, 'the deal created by the automation, live on the open board');
    assert.equal(reloaded, false, 'the board did not reload');
  } finally {
    await context.close();
  }
});
