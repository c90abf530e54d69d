// The team's side of booking calendars, at phone and laptop widths: a
// calendar with two windows on one day and a question is created in the
// editor, shows in the list, and an appointment that already happened is
// marked attended from the agenda. axe-core passes on the list, the editor
// and the agenda (this context bypasses the CSP only to inject axe).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launchBrowser, newPage, signIn, seen, unique, urlPath, OWNER } from '../lib/harness.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const VIEWPORTS = [{ width: 390, height: 844 }, { width: 1366, height: 768 }];

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => `${v.id} (${v.help}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return violations;
}

/** `YYYY-MM-DD` of an instant in Mexico City (the seeded workspace's zone). */
function mexicoDate(d) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Mexico_City' }).format(d);
}

for (const viewport of VIEWPORTS) {
  test(`calendars: create, list, agenda and "¿Asistió?" at ${viewport.width} px`, async () => {
    const { context, page } = await newPage(browser, { viewport, bypassCSP: true });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await signIn(page, OWNER);
      const found = [];

      // The editor: the slug follows the name; Monday gets two windows.
      await page.goto('/calendars/new');
      const name = `Asesoría ${unique()}`;
      await page.locator('[data-testid="cal-name"]').fill(name);
      const slug = await page.locator('[data-testid="cal-slug"]').inputValue();
      assert.match(slug, /^asesoria-[a-z0-9]+$/);
      const monday = page.locator('[data-testid="day-1"]');
      await monday.locator('input[name="w1_end"]').first().fill('12:00');
      await page.locator('[data-testid="add-window-1"]').click();
      await monday.locator('input[name="w1_start"]').nth(1).fill('14:00');
      await monday.locator('input[name="w1_end"]').nth(1).fill('17:00');
      // A question, edited with the form builder's cards.
      await page.locator('[data-testid="add-question"]').click();
      const card = page.locator('[data-testid="fb-field"]').last();
      await card.getByLabel('Etiqueta (es)').fill('¿Qué necesitas?');
      for (const v of await axe(page)) found.push(`/calendars/new ${v}`);
      await page.locator('[data-testid="cal-save"]').click();
      await page.waitForURL((url) => /^\/calendars\/[0-9a-f-]{36}$/.test(url.pathname));
      assert.equal(await monday.locator('input[name="w1_start"]').nth(1).inputValue(), '14:00');
      await seen(page.locator('[data-testid="fb-field"]'), 'the saved question');
      await seen(page.locator('[data-testid="calendar-link"]'), 'the public link');
      for (const v of await axe(page)) found.push(`/calendars/{id} ${v}`);

      // The list.
      await page.goto('/calendars');
      await seen(page.getByRole('link', { name, exact: true }), 'the new calendar in the list');
      for (const v of await axe(page)) found.push(`/calendars ${v}`);

      // A Cal.com booking of yesterday (unsigned deliveries allowed for it).
      await page.goto('/settings/intake');
      const unsigned = page.locator('[data-testid="settings-calcom-unsigned"]');
      if (!(await unsigned.isChecked())) {
        await unsigned.check();
        await unsigned.locator('xpath=ancestor::form').getByRole('button').click();
        await page.waitForURL(urlPath('/settings/intake'));
      }
      const start = new Date(Date.now() - 26 * 3600 * 1000);
      const end = new Date(start.getTime() + 30 * 60 * 1000);
      const who = `Invitada ${unique()}`;
      const delivery = await page.request.post('/webhooks/calcom/acme', {
        data: {
          triggerEvent: 'BOOKING_CREATED',
          createdAt: start.toISOString(),
          payload: {
            uid: `e2e-${unique()}`,
            title: 'Demo Zoom',
            startTime: start.toISOString(),
            endTime: end.toISOString(),
            attendees: [{ name: who, email: `${unique()}@example.com`, timeZone: 'America/Mexico_City' }],
            organizer: { name: 'Olga', email: 'owner@acme.test', timeZone: 'America/Mexico_City' },
          },
        },
      });
      assert.equal(delivery.status(), 200, await delivery.text());

      // The agenda of that day: "¿Asistió? Sí" marks it attended.
      await page.goto(`/calendars/agenda?view=day&date=${mexicoDate(start)}`);
      const item = page.locator('[data-testid="appointment"]', { hasText: who });
      await seen(item, 'the appointment in the agenda');
      for (const v of await axe(page)) found.push(`/calendars/agenda ${v}`);
      await item.locator('[data-testid="attended-yes"]').click();
      await page.waitForURL(urlPath('/calendars/agenda'));
      const done = page.locator('[data-testid="appointment"]', { hasText: who });
      await seen(done.locator('[data-testid="appointment-status"]', { hasText: 'Asistió' }), 'the attended badge');
      // The week view also works at this width.
      await page.goto(`/calendars/agenda?view=week&date=${mexicoDate(start)}`);
      await seen(page.locator('[data-testid="appointment"]', { hasText: who }), 'the appointment in the week');
      for (const v of await axe(page)) found.push(`/calendars/agenda?view=week ${v}`);

      assert.deepEqual(found, [], `axe violations:\n${found.join('\n')}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}
