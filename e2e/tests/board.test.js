// The kanban board in a real browser: an owner makes an API key in the UI,
// creates contacts and deals through the JSON API, opens the same board in
// two pages, drags a card to another column with the mouse (SortableJS), and
// the other page shows the move live (server-sent events) without a reload;
// after a reload of the first page the card is still in its new column.
//
// The deal drawer at 1366×768 and 390×844: a card opens it by click and by
// keyboard (Tab to the card, Enter), the stage changes with the keyboard in
// the drawer and the card moves to the other column, Escape closes it and
// focus returns to the card; on the phone the stage picker switches columns
// and the page never scrolls sideways.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, notSeen, seeText, unique, BASE_URL, OWNER, TIMEOUT, createApiKey, apiJson } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });



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
    const key = await createApiKey(first.page, 'board');

    // Data through the JSON API (the contract of issue 3).
    const pipelines = await apiJson(key, 'GET', '/api/v1/pipelines');
    const list = Array.isArray(pipelines) ? pipelines : pipelines.data;
    const pipeline = list.find((p) => p.is_default) || list[0];
    const stages = [...pipeline.stages].sort((a, b) => a.position - b.position);
    assert.ok(stages.length >= 2, 'the default pipeline has stages');
    const [from, to] = stages;
    const tag = unique();
    const deals = [];
    for (const name of ['Rosa', 'Iván', 'Elena']) {
      const contact = await apiJson(key, 'POST', '/api/v1/contacts', {
        first_name: name,
        last_name: `Tablero ${tag}`,
        email: `${name.normalize('NFD').replace(/[^a-zA-Z]/g, '').toLowerCase()}.${tag}@example.com`,
        tags: ['e2e'],
      });
      const deal = await apiJson(key, 'POST', '/api/v1/deals', {
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
    const after = await apiJson(key, 'GET', `/api/v1/deals/${moving.id}`);
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
    const key = await createApiKey(page, 'board');
    const pipelines = await apiJson(key, 'GET', '/api/v1/pipelines');
    const list = Array.isArray(pipelines) ? pipelines : pipelines.data;
    const pipeline = list.find((p) => p.is_default) || list[0];
    const stages = [...pipeline.stages].sort((a, b) => a.position - b.position);
    const target = stages[1];
    const tag = `vivo-${unique()}`.toLowerCase();

    // A workflow whose only step puts the contact on the board: with no
    // open deal in that pipeline, `move_to_stage` creates one.
    await apiJson(key, 'POST', '/api/v1/workflows', {
      name: `Al tablero ${tag}`,
      trigger: { type: 'tag_added', tag },
      steps: [{ type: 'move_to_stage', stage_id: target.id }],
      active: true,
    });
    const contact = await apiJson(key, 'POST', '/api/v1/contacts', {
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
    await apiJson(key, 'PATCH', `/api/v1/contacts/${contact.id}`, { add_tags: [tag] });
    const card = columnOf(page, target.id).locator('li[data-deal-id]', { hasText: `Automática ${tag}` });
    await seen(card, 'the deal created by the automation, live on the open board');
    assert.equal(reloaded, false, 'the board did not reload');
  } finally {
    await context.close();
  }
});

/** The default pipeline and its stages in order, through the API. */
async function defaultPipeline(key) {
  const pipelines = await apiJson(key, 'GET', '/api/v1/pipelines');
  const list = Array.isArray(pipelines) ? pipelines : pipelines.data;
  const pipeline = list.find((p) => p.is_default) || list[0];
  return { pipeline, stages: [...pipeline.stages].sort((a, b) => a.position - b.position) };
}

/** The id of the deal-card element that has the focus, if any. */
const focusedDeal = (page) => page.evaluate(() => document.activeElement?.getAttribute('data-deal-id') ?? null);

/** Presses Tab until `check()` holds (at most `max` presses). */
async function tabUntil(page, check, what, max = 40) {
  for (let i = 0; i < max; i++) {
    if (await check()) return;
    await page.keyboard.press('Tab');
  }
  assert.ok(await check(), `Tab never reached ${what}`);
}

const drawerOpen = (page) => page.locator('dialog#deal-drawer[open]');
/** The drawer with its panel loaded and its forms bound by htmx. */
const drawerReady = (page) => page.locator('dialog#deal-drawer[open][data-ready]').waitFor({ state: 'visible', timeout: TIMEOUT });
const focusInDrawer = (page) => page.evaluate(() => !!document.activeElement?.closest('dialog#deal-drawer'));

/** Waits until the page has no horizontal overflow. */
async function noSidewaysScroll(page, where) {
  const { scroll, inner } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
  }));
  assert.ok(scroll <= inner, `${where}: the page is ${scroll} px wide in a ${inner} px window`);
}

for (const viewport of [{ width: 1366, height: 768 }, { width: 390, height: 844 }]) {
  test(`the deal drawer opens by click and keyboard and moves a deal at ${viewport.width}×${viewport.height}`, async () => {
    const { page, context } = await newPage(browser, { viewport });
    try {
      await signIn(page, OWNER);
      const key = await createApiKey(page, 'board');
      const { pipeline, stages } = await defaultPipeline(key);
      const [first, second, third] = stages;
      const tag = unique();
      const contact = await apiJson(key, 'POST', '/api/v1/contacts', {
        first_name: 'Cajón',
        last_name: `Drawer ${tag}`,
        email: `cajon.${tag}@example.com`.toLowerCase(),
        phone: '+52 55 1234 5678',
      });
      const deal = await apiJson(key, 'POST', '/api/v1/deals', {
        contact_id: contact.id,
        pipeline_id: pipeline.id,
        stage_id: first.id,
        title: `Cajón ${tag}`,
        value: 990_000,
        currency: 'MXN',
      });

      await page.goto(`/pipelines/${pipeline.id}`);
      await page.locator('#board[data-live="on"]').waitFor({ state: 'attached', timeout: TIMEOUT });
      assert.equal(await page.locator('h1').first().textContent(), pipeline.name, 'the heading is the pipeline');
      const card = cardIn(page, first.id, deal.id);
      await seen(card, 'the new card');
      await noSidewaysScroll(page, 'the board');

      // Click: the drawer opens with the deal, focus inside it.
      await card.click();
      await seen(drawerOpen(page), 'the drawer');
      await drawerReady(page);
      await seeText(page.locator('#deal-drawer'), `Cajón ${tag}`);
      await seen(page.locator('#deal-drawer a[href^="https://wa.me/52"]'), 'the WhatsApp link');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'deal-panel-title', 'focus is on the deal title');
      if (viewport.width < 640) {
        const box = await page.locator('#deal-drawer').boundingBox();
        assert.ok(box && box.width >= viewport.width - 1, `a full-screen sheet on the phone (${box?.width} px)`);
      }
      await page.keyboard.press('Escape');
      await notSeen(drawerOpen(page), 'the drawer after Escape');
      assert.equal(await focusedDeal(page), deal.id, 'focus is back on the card');

      // Keyboard: from the new-deal toggle, Tab to the card and press Enter.
      await page.locator('#board details > summary').focus();
      await tabUntil(page, async () => (await focusedDeal(page)) === deal.id, 'the card');
      await page.keyboard.press('Enter');
      await seen(drawerOpen(page), 'the drawer opened by Enter');
      await drawerReady(page);
      await seeText(page.locator('#deal-drawer'), `Cajón ${tag}`);
      assert.ok(await focusInDrawer(page), 'focus moved into the drawer');

      // The stage picker with the keyboard: the next stage, then "Mover".
      await tabUntil(page, () => page.evaluate(() => document.activeElement?.id === 'deal-stage'), 'the stage picker');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.locator('#deal-stage').inputValue(), second.id, 'ArrowDown picked the next stage');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'deal-stage-move');
      await page.keyboard.press('Enter');
      await seeText(page.locator('#deal-drawer'), `Negocio movido a «${second.name}».`);
      await seen(cardIn(page, second.id, deal.id), 'the card in the second column');
      assert.equal(await cardIn(page, first.id, deal.id).count(), 0, 'gone from the first column');

      await page.keyboard.press('Escape');
      await notSeen(drawerOpen(page), 'the drawer after Escape');
      // (The card may still be re-rendering after the move: focus lands on it when it does.)
      await page.waitForFunction((id) => document.activeElement?.getAttribute('data-deal-id') === id, deal.id, { timeout: TIMEOUT })
        .catch(async () => assert.equal(await focusedDeal(page), deal.id, 'focus is back on the moved card'));
      const after = await apiJson(key, 'GET', `/api/v1/deals/${deal.id}`);
      assert.equal(after.stage_id, second.id);

      if (viewport.width >= 640) {
        // Alt+→ on a focused card moves it one column on, focus kept.
        await page.keyboard.press('Alt+ArrowRight');
        await seen(cardIn(page, third.id, deal.id), 'the card moved by Alt+Right');
        await page.waitForFunction((id) => document.activeElement?.getAttribute('data-deal-id') === id, deal.id);
      } else {
        // The phone's stage picker shows one column at a time.
        const jump = page.locator('select[data-stage-jump]');
        await seen(jump, 'the stage picker');
        await jump.selectOption(third.id);
        await page.waitForFunction((stageId) => {
          const strip = document.querySelector('[data-columns]');
          const col = strip?.querySelector(`section[data-stage-id="${stageId}"]`);
          if (!strip || !col) return false;
          return Math.abs(col.getBoundingClientRect().left - strip.getBoundingClientRect().left) < 2;
        }, third.id);
        const inView = await page.evaluate(() => [...document.querySelectorAll('[data-columns] > section')]
          .filter((c) => { const r = c.getBoundingClientRect(); return r.right > 1 && r.left < window.innerWidth - 1; }).length);
        assert.equal(inView, 1, 'one column in view');
        // The header and the new-deal action stay in view; the page does not scroll sideways.
        const headerInView = await page.evaluate(() => {
          const r = document.querySelector('#board details > summary').getBoundingClientRect();
          return r.top >= 0 && r.bottom <= window.innerHeight;
        });
        assert.ok(headerInView, '"+ Nuevo negocio" is in view');
        await noSidewaysScroll(page, 'the board after switching columns');
        await page.locator('#board details > summary').click();
        await noSidewaysScroll(page, 'the board with the new-deal form open');
      }
    } finally {
      await context.close();
    }
  });
}
