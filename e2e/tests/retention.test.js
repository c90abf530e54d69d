// Retention alerts in a real browser (issue 18): an owner adds a member
// whose membership started two months ago and who never came, runs the
// check from Contactos → Retención, takes the alert and resolves it with
// a note — each action swaps the card in place (htmx, no reload). The
// pages render with no CSP violation or console error, never scroll
// sideways at 390 px, and pass axe-core on a phone and a laptop.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, unique, OWNER, MEMBER, axeViolations as axe, watchConsole } from '../lib/harness.js';

const PHONE = { width: 390, height: 844 };
const PAGES = ['/contacts/retention', '/contacts/retention?status=all', '/contacts/retention/rules'];

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });



function daysAgo(n) {
  const d = new Date(Date.now() - n * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test('an absent member gets an alert: taken, assigned (the assignee\'s bell rings live) and resolved in place', async () => {
  const { context, page } = await newPage(browser);
  const member = await newPage(browser, { viewport: PHONE });
  const errors = watchConsole(page);
  try {
    await signIn(page, OWNER);
    await signIn(member.page, MEMBER);
    await seen(member.page.locator('[data-testid="bell-phone"]'), "the member's bell");
    const count = member.page.locator('[data-testid="bell-count-phone"]');
    await page.goto('/contacts/new');
    const name = `Renata ${unique()}`;
    await page.locator('#new-contact-form input[name="first_name"]').fill(name);
    await page.locator('#new-contact-form input[name="email"]').fill(`${unique()}@example.com`);
    await page.locator('#new-contact-form button').first().click();
    await page.waitForURL((url) => /^\/contacts\/[0-9a-f-]{36}$/.test(url.pathname));

    // A membership since two months ago, and no visit since.
    const form = page.locator('[data-testid="membership-form"]');
    await form.locator('input[name="plan"]').fill('Mensual');
    await form.locator('input[name="starts"]').fill(daysAgo(60));
    await form.locator('button').click();
    await seen(page.locator('[data-testid="contact-memberships"] [data-membership]'), 'the membership');

    await page.goto('/contacts/retention');
    await page.getByTestId('retention-check').click();
    await page.waitForURL((url) => url.pathname === '/contacts/retention');
    const card = page.locator('[data-alert]', { hasText: name });
    await seen(card, 'the alert');
    assert.match(await card.textContent(), /Sin asistencia/);
    assert.match(await card.getByTestId('alert-risk').textContent(), /90/);

    await card.getByRole('button', { name: 'Tomar' }).click();
    await page.waitForFunction((n) => [...document.querySelectorAll('[data-alert]')]
      .some((el) => el.textContent.includes(n) && el.textContent.includes('Responsable: Olga Owner')), name);
    // Assigned to the member: the member's bell moves without a reload.
    const before = Number(await count.textContent());
    const taken = page.locator('[data-alert]', { hasText: name });
    await taken.getByTestId('assign-select').selectOption({ label: 'Mario Member' });
    await taken.getByRole('button', { name: 'Asignar', exact: true }).click();
    await page.waitForFunction((n) => [...document.querySelectorAll('[data-alert]')]
      .some((el) => el.textContent.includes(n) && el.textContent.includes('Responsable: Mario Member')), name);
    await member.page.waitForFunction(
      ([n]) => document.querySelector('[data-testid="bell-count-phone"]')?.textContent === String(n),
      [before + 1],
    );
    const again = page.locator('[data-alert]', { hasText: name });
    await again.getByLabel('Nota').fill('Llamé: vuelve el lunes');
    await again.getByRole('button', { name: 'Resolver' }).click();
    await page.waitForFunction((n) => [...document.querySelectorAll('[data-alert]')]
      .some((el) => el.textContent.includes(n) && el.dataset.status === 'resolved'), name);
    const done = page.locator('[data-alert]', { hasText: name });
    assert.match(await done.getByTestId('alert-history').textContent(), /Llamé: vuelve el lunes/);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await context.close();
    await member.context.close();
  }
});

test('the retention pages render without CSP violations and fit 390 px', async () => {
  const { context, page } = await newPage(browser, { viewport: PHONE });
  const errors = watchConsole(page);
  try {
    await signIn(page, OWNER);
    for (const path of PAGES) {
      const res = await page.goto(path);
      assert.equal(res?.status(), 200, `${path} answers 200`);
      const { scroll, inner } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
      }));
      assert.ok(scroll <= inner, `${path} is ${scroll} px wide at ${inner} px`);
    }
    await page.goto('/contacts/retention');
    const chart = page.locator('svg[data-testid="alerts-chart"]');
    await seen(chart, 'the chart');
    assert.equal(await chart.getAttribute('role'), 'img');
    assert.equal(await page.locator('[style]').count(), 0, 'no inline style attributes');
    assert.deepEqual(errors, [], 'console errors (CSP violations show here)');
  } finally {
    await context.close();
  }
});

test('the retention pages pass axe-core at 390 px and 1366 px', async () => {
  for (const viewport of [PHONE, { width: 1366, height: 768 }]) {
    const { context, page } = await newPage(browser, { viewport, bypassCSP: true });
    try {
      await signIn(page, OWNER);
      const found = [];
      for (const path of PAGES) {
        await page.goto(path);
        for (const v of await axe(page)) found.push(`${path}: ${v}`);
      }
      assert.deepEqual(found, [], `axe violations at ${viewport.width} px:\n${found.join('\n')}`);
    } finally {
      await context.close();
    }
  }
});
