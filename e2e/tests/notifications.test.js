// The bell in a real browser, with two people signed in at once: the owner
// (laptop) assigns a task to the member, and the member's bell — on a
// phone, 390 px wide — shows it without a reload (server-sent events on
// /notifications/events). The member opens the dropdown (a button with
// aria-expanded), sees the text in Spanish, the page passes axe-core with
// the dropdown open and never scrolls sideways; "mark all read" empties
// the badge. Nothing here waits for time to pass: every step waits for
// what it expects to see.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, notSeen, unique, BASE_URL, OWNER, MEMBER, axeViolations as axe, createApiKey, apiJson } from '../lib/harness.js';


let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });




test('a task assigned by one member rings the other member\'s bell live, on a phone', async () => {
  const owner = await newPage(browser);
  // axe is injected into the member's page: bypass the CSP there only.
  const member = await newPage(browser, { viewport: { width: 390, height: 844 }, bypassCSP: true });
  try {
    await signIn(owner.page, OWNER);
    await signIn(member.page, MEMBER);
    const key = await createApiKey(owner.page, 'bell');
    const tag = unique();
    const contact = await apiJson(key, 'POST', '/api/v1/contacts', {
      first_name: 'Berta',
      last_name: `Campana ${tag}`,
      email: `berta.${tag}@example.com`,
    });

    // The member's bell on the phone bar, before.
    const bell = member.page.locator('[data-testid="bell-phone"]');
    await seen(bell, "the member's bell");
    const count = member.page.locator('[data-testid="bell-count-phone"]');
    const before = Number(await count.textContent());
    // Whether the live stream connects before or after the push does not
    // matter: it sends the current count on connecting, then each change.

    // The owner assigns a task to the member on the contact's page.
    const title = `Llamar a Berta ${tag}`;
    await owner.page.goto(`/contacts/${contact.id}`);
    const form = owner.page.locator(`form[action="/contacts/${contact.id}/tasks"]`);
    await form.getByLabel('Tarea').fill(title);
    await form.getByLabel('Asignada a').selectOption({ label: 'Mario Member' });
    await form.getByRole('button', { name: 'Añadir tarea' }).click();
    await seen(owner.page.getByText(title), 'the task on the contact page');

    // The member's badge moves without a reload.
    await member.page.waitForFunction(
      ([n]) => document.querySelector('[data-testid="bell-count-phone"]')?.textContent === String(n),
      [before + 1],
    );
    await seen(member.page.locator('[data-bell-badge]').first(), 'the badge');

    // The dropdown: a button with aria-expanded, the text in Spanish.
    assert.equal(await bell.getAttribute('aria-expanded'), 'false');
    await bell.click();
    assert.equal(await bell.getAttribute('aria-expanded'), 'true');
    const menu = member.page.locator('#bell-menu-phone');
    const item = menu.locator('[data-testid="bell-item"]', { hasText: `Nueva tarea para ti: ${title}` });
    await seen(item, 'the notification in the dropdown');
    assert.ok(!(await menu.textContent()).includes('task_assigned'), 'no internal codes');
    const wide = await member.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide at 390 px`);
    const box = await menu.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the dropdown fits the screen: ${JSON.stringify(box)}`);
    assert.deepEqual(await axe(member.page), [], 'axe-core with the dropdown open');

    // Escape closes it and gives focus back to the button.
    await member.page.keyboard.press('Escape');
    assert.equal(await bell.getAttribute('aria-expanded'), 'false');
    await notSeen(menu, 'the closed dropdown');

    // Mark all read: the badge empties.
    await bell.click();
    await menu.locator('[data-testid="bell-mark-all"]').click();
    await member.page.waitForFunction(() => document.querySelector('[data-testid="bell-count-phone"]')?.textContent === '0');
    await notSeen(member.page.locator('[data-bell-badge]').first(), 'the badge');

    // The list page keeps it, read.
    await member.page.goto('/notifications');
    await seen(member.page.getByText(`Nueva tarea para ti: ${title}`), 'the notification on the list page');
    assert.deepEqual(await axe(member.page), [], 'axe-core on /notifications');
  } finally {
    await owner.context.close();
    await member.context.close();
  }
});
