// The automations builder in a real browser: install a shipped template in
// one click, open it, add a step through the HTMX step form, move it, and
// see each save become a new version.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, OWNER } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('install the welcome sequence, add a step, move it', async () => {
  const { context, page } = await newPage(browser);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await signIn(page, OWNER);
    await page.goto('/automations');
    await page.locator('[data-testid="install-welcome_sequence"]').click();
    // One workflow installed: its builder opens.
    await seen(page.locator('[data-testid="builder"]'), 'the builder of the installed workflow');
    assert.match(await page.locator('[data-testid="workflow-title"]').innerText(), /Bienvenida nuevos leads/);
    const builderUrl = page.url();
    await page.goto('/automations');
    await seen(
      page.locator('[data-testid="workflows"] a', { hasText: 'Bienvenida nuevos leads' }).first(),
      'the installed workflow in the list',
    );
    await page.goto(builderUrl);
    await seen(page.locator('[data-testid="builder"]'), 'the builder');
    const steps = page.locator('[data-testid="step-tree"] li[data-step]');
    assert.equal(await steps.count(), 5, 'three emails and two waits');
    const version = Number(await page.locator('[data-testid="builder"]').getAttribute('data-version'));

    await page.locator('[data-testid="add-step-type"]').selectOption('add_tag');
    await page.locator('[data-testid="add-step"]').click();
    const form = page.locator('[data-testid="step-form"]');
    await seen(form, 'the step form');
    await form.locator('[data-testid="field-tag"]').fill('bienvenida-e2e');
    await form.locator('[data-testid="save-step"]').click();
    await page.waitForFunction(
      (v) => Number(document.querySelector('[data-testid="builder"]')?.dataset.version) > v,
      version,
    );
    assert.equal(await steps.count(), 6);
    const last = steps.last();
    assert.match(await last.innerText(), /bienvenida-e2e/);

    // Move the new step up one place: it is no longer last.
    const before = Number(await page.locator('[data-testid="builder"]').getAttribute('data-version'));
    await last.locator('[data-testid="move-up"]').click();
    await page.waitForFunction(
      (v) => Number(document.querySelector('[data-testid="builder"]')?.dataset.version) > v,
      before,
    );
    assert.doesNotMatch(await steps.last().innerText(), /bienvenida-e2e/);
    assert.match(await steps.nth(4).innerText(), /bienvenida-e2e/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
