// Signing in and out, in Spanish by default, and finding one's way around.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, newPage, signIn, urlPath, seen, seeText, navLink, OWNER,
} from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the login page is in Spanish for a browser in a language the app does not speak', async () => {
  const { context, page } = await newPage(browser, { locale: 'de-DE' });
  try {
    await page.goto('/login');
    await seen(page.getByRole('heading', { name: 'Iniciar sesión' }), 'the heading "Iniciar sesión"');
    await seen(page.getByRole('button', { name: 'Iniciar sesión' }), 'the button "Iniciar sesión"');
    await seeText(page, 'Correo electrónico');
    assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  } finally {
    await context.close();
  }
});

test('a wrong password is refused in Spanish and keeps the visitor on the login page', async () => {
  const { context, page } = await newPage(browser);
  try {
    await page.goto('/login');
    await page.getByLabel('Correo electrónico').fill(OWNER.email);
    await page.getByLabel('Contraseña').fill('not the password');
    await page.getByRole('button', { name: 'Iniciar sesión' }).click();
    await seen(page.getByRole('alert').filter({ hasText: 'Correo o contraseña incorrectos' }),
      'the error "Correo o contraseña incorrectos"');
    assert.equal(new URL(page.url()).pathname, '/login');
    // The email typed stays in the field; the password does not.
    assert.equal(await page.getByLabel('Correo electrónico').inputValue(), OWNER.email);
    assert.equal(await page.getByLabel('Contraseña').inputValue(), '');
  } finally {
    await context.close();
  }
});

test('the owner signs in, sees the workspace and the navigation, opens Contactos and Informes, and signs out', async () => {
  const { context, page } = await newPage(browser);
  try {
    await page.goto('/login');
    await page.getByLabel('Correo electrónico').fill(OWNER.email);
    await page.getByLabel('Contraseña').fill(OWNER.password);
    await page.getByRole('button', { name: 'Iniciar sesión' }).click();
    await page.waitForURL(urlPath('/dashboard'));

    const main = page.locator('main');
    await seeText(main, 'Acme MX');
    await seeText(main, `Hola, ${OWNER.name}`);
    await seen(page.getByRole('combobox', { name: 'Espacio de trabajo' }), 'the workspace switcher');
    assert.equal(
      await page.locator('select[name="workspace_id"] option:checked').textContent(),
      'Acme MX',
    );

    for (const name of ['Contactos', 'Embudos', 'Formularios', 'Calendarios',
      'Automatizaciones', 'Mensajes', 'Informes', 'Configuración']) {
      await seen(navLink(page, name), `the nav link "${name}"`);
    }

    await navLink(page, 'Contactos').click();
    await page.waitForURL(urlPath('/contacts'));
    await seen(page.getByRole('heading', { name: 'Contactos' }), 'the heading "Contactos"');
    await seen(page.locator('input#q[type="search"]'), 'the contact search box');
    assert.equal(await navLink(page, 'Contactos').getAttribute('aria-current'), 'page');

    // Informes opens on its first report.
    await navLink(page, 'Informes').click();
    await page.waitForURL(urlPath('/reports/leads_by_source'));
    await seen(page.getByTestId('report-tabs'), 'the report tabs');
    await seen(page.getByRole('heading', { name: 'Informes', exact: true }), 'the heading "Informes"');

    await page.locator('[data-testid="logout"]').click();
    await page.waitForURL(urlPath('/login'));
    await seen(page.getByRole('heading', { name: 'Iniciar sesión' }), 'the login page');

    // The session is really gone: the dashboard now sends us back to the login page.
    await page.goto('/dashboard');
    await page.waitForURL(urlPath('/login'));
  } finally {
    await context.close();
  }
});

test('signing in with the helper works for a second, independent session', async () => {
  // Guards the helper the other test files rely on.
  const { context, page } = await newPage(browser);
  try {
    await signIn(page, OWNER);
    await seeText(page.locator('main'), 'Acme MX');
  } finally {
    await context.close();
  }
});
