// The public booking page (issue 16) in a real browser, at phone and laptop
// widths and in Spanish and English: a Madrid visitor (Playwright's
// timezoneId) of a Bogotá calendar gets the times in Madrid's zone (the
// page's script switches to the browser's zone), picks a day and a time,
// answers the questions, books and sees the confirmation; the manage link
// reschedules, then cancels. A calendar embedded with embed.js on a page of
// another origin books in place. axe-core checks the booking, confirmation
// and manage pages (axe is injected, so the page's CSP is bypassed for it
// alone; the app never runs inline scripts).
//
// The calendar is created through the API with a key made in the UI, so the
// test does not depend on the demo data.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launchBrowser, newPage, signIn, seen, unique, BASE_URL, OWNER, axeViolations as axe } from '../lib/harness.js';

const VIEWPORTS = [{ width: 390, height: 844 }, { width: 1366, height: 768 }];
const TEXT = {
  es: { booked: '¡Cita agendada!', moved: 'Tu cita se cambió al nuevo horario.', cancelled: 'Cancelada' },
  en: { booked: "You're booked!", moved: 'Your meeting was moved to the new time.', cancelled: 'Cancelled' },
};

let browser;
let key;
let wsSlug;
let calSlug;
let landing;
let landingUrl;

before(async () => {
  browser = await launchBrowser();
  landing = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Landing</title>
<style>button { border: 5px solid red; }</style></head>
<body><h1>Agenda con nosotros</h1>
<script src="${BASE_URL}/embed.js" async></script>
<div data-af-calendar="${wsSlug}/${calSlug}"></div>
</body></html>`);
  });
  await new Promise((resolve) => landing.listen(0, '127.0.0.1', resolve));
  landingUrl = `http://127.0.0.1:${landing.address().port}`;
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => landing?.close(resolve));
});

async function api(method, path, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}


async function noAxeViolations(page, what) {
  const found = await axe(page);
  assert.deepEqual(found, [], `axe violations on ${what}:\n${found.join('\n')}`);
}

test('a calendar made through the API', async () => {
  const { context, page } = await newPage(browser);
  try {
    await signIn(page, OWNER);
    await page.goto('/settings/api-keys');
    await page.getByLabel('Nombre de la clave').fill(`booking ${unique()}`);
    await page.getByRole('button', { name: 'Crear clave' }).click();
    const keyInput = page.locator('input[data-testid="new-api-key"]');
    await seen(keyInput, 'the new key');
    key = await keyInput.inputValue();
  } finally {
    await context.close();
  }
  const ws = await api('GET', '/api/v1/workspace');
  assert.equal(ws.status, 200, JSON.stringify(ws.body));
  wsSlug = ws.body.slug;
  calSlug = `e2e-${unique()}`;
  const every = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '07:00', end: '21:00' }));
  const created = await api('POST', '/api/v1/calendars', {
    name: 'Asesoría e2e',
    slug: calSlug,
    time_zone: 'America/Bogota',
    duration_minutes: 30,
    availability: every,
    location_kind: 'video',
    location: 'https://meet.example/e2e',
    questions: [
      { name: 'empresa', type: 'text', label: 'Empresa', label_en: 'Company', required: true },
      { name: 'servicio', type: 'select', label: 'Servicio', label_en: 'Service', options: ['SEO', 'Ads'] },
    ],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});

for (const viewport of VIEWPORTS) {
  for (const lang of ['es', 'en']) {
    test(`a Madrid visitor books, reschedules and cancels at ${viewport.width}px in ${lang}`, async () => {
      assert.ok(calSlug, 'the calendar exists');
      const { context, page } = await newPage(browser, {
        viewport,
        timezoneId: 'Europe/Madrid',
        bypassCSP: true,
        locale: lang === 'es' ? 'es-ES' : 'en-GB',
      });
      try {
        await page.goto(`/book/${wsSlug}/${calSlug}?lang=${lang}`);
        // The script switches the page to the browser's zone.
        await page.waitForURL((u) => u.searchParams.get('tz') === 'Europe/Madrid');
        assert.equal(await page.locator('[data-testid="zone-select"]').inputValue(), 'Europe/Madrid');
        // Every offered time carries Madrid's offset, not Bogotá's.
        const first = page.locator('[data-testid="slot"]').first();
        await first.waitFor({ state: 'attached' });
        assert.match(await first.getAttribute('value'), /\+0[12]:00$/);
        await noAxeViolations(page, 'the booking page');
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scroll <= viewport.width, `no sideways scroll (${scroll}px)`);

        // Pick another day with times, then a time on it.
        const days = page.locator('a[data-testid^="day-"]');
        await seen(days, 'days with times');
        await Promise.all([page.waitForURL(/day=/), days.nth((await days.count()) > 1 ? 1 : 0).click()]);
        const slot = page.locator('label:has([data-testid="slot"])').first();
        await slot.click();
        const address = `visit.${unique()}@example.com`;
        await page.locator('[data-testid="field-name"]').fill('Visitante Madrid');
        await page.locator('[data-testid="field-email"]').fill(address);
        await page.locator('[data-testid="field-empresa"]').fill('Empresa Madrid');
        await page.locator('[data-testid="field-servicio"]').selectOption('SEO');
        await Promise.all([page.waitForURL(/\/book\/manage\//), page.locator('[data-testid="book"]').click()]);
        await seen(page.getByText(TEXT[lang].booked), 'the confirmation');
        assert.match(await page.locator('[data-testid="booking-when"]').innerText(), /Europe\/Madrid/);
        assert.ok((await page.locator('[data-testid="google-link"]').getAttribute('href')).startsWith('https://calendar.google.com/calendar/render?action=TEMPLATE'));
        await noAxeViolations(page, 'the confirmation page');

        // The manage link: reschedule to another time, then cancel.
        const manage = await page.locator('[data-testid="manage-link"]').getAttribute('href');
        await page.goto(manage);
        await noAxeViolations(page, 'the manage page');
        const before = await page.locator('[data-testid="booking-when"]').innerText();
        await page.locator('[data-testid="reschedule-form"] label:has([data-testid="slot"])').last().click();
        await Promise.all([page.waitForURL(/moved=1/), page.locator('[data-testid="reschedule"]').click()]);
        await seen(page.getByText(TEXT[lang].moved), 'the rescheduled note');
        assert.notEqual(await page.locator('[data-testid="booking-when"]').innerText(), before);
        await Promise.all([page.waitForLoadState('load'), page.locator('[data-testid="cancel"]').click()]);
        await seen(page.locator('[data-testid="booking-status"]').getByText(TEXT[lang].cancelled), 'the cancelled status');

        // The contact exists in the CRM.
        const found = await api('GET', `/api/v1/contacts?q=${encodeURIComponent(address)}`);
        assert.equal(found.body.data.length, 1, JSON.stringify(found.body));
      } finally {
        await context.close();
      }
    });
  }
}

test('the widget embedded on another origin books in place', async () => {
  assert.ok(calSlug, 'the calendar exists');
  const { context, page } = await newPage(browser, { timezoneId: 'America/Mexico_City' });
  try {
    await page.goto(`${landingUrl}/?utm_source=widget&utm_campaign=e2e`);
    // Playwright's CSS locators pierce the (open) shadow root.
    const day = page.locator('[data-testid="af-day"]');
    await seen(day, 'the widget days');
    assert.match(await page.locator('[data-testid="af-zone"]').innerText(), /America\/Mexico_City/);
    await day.first().click();
    const time = page.locator('[data-testid="af-time"]');
    await seen(time, 'the widget times');
    assert.match(await time.first().getAttribute('data-start'), /-0[56]:00$/, 'times in the visitor zone');
    await time.first().click();
    const address = `widget.${unique()}@example.com`;
    await page.locator('[data-testid="af-field-name"]').fill('Visitante Widget');
    await page.locator('[data-testid="af-field-email"]').fill(address);
    await page.locator('[data-testid="af-field-empresa"]').fill('Widget SA');
    await page.locator('[data-testid="af-book"]').click();
    await seen(page.locator('[data-testid="af-booked"]'), 'the widget confirmation');
    assert.equal(new URL(page.url()).origin, landingUrl, 'no navigation');
    const found = await api('GET', `/api/v1/contacts?q=${encodeURIComponent(address)}`);
    assert.equal(found.body.data.length, 1, JSON.stringify(found.body));
    const contact = await api('GET', `/api/v1/contacts/${found.body.data[0].id}`);
    assert.equal(contact.body.attribution.first.utm_source, 'widget');
  } finally {
    await context.close();
  }
});
