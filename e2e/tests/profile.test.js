// Choosing English in one's profile changes the interface for that user.
// Uses its own freshly invited user so the shared accounts stay in Spanish.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, newPage, signIn, urlPath, seen, seeText, navLink,
  createInvitation, acceptInvitation, OWNER, PASSWORD,
} from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('a user who picks English at /settings/profile gets an English navigation', async () => {
  const owner = await newPage(browser);
  let user;
  try {
    await signIn(owner.page, OWNER);
    const link = await createInvitation(owner.page, 'lang@acme.test', 'Miembro');
    await owner.context.close();

    user = await acceptInvitation(browser, link, { name: 'Lena Lang' });
    const { page } = user;
    await seen(navLink(page, 'Contactos'), 'the Spanish nav before the change');

    await page.getByRole('link', { name: 'Mi perfil', exact: true }).first().click();
    await page.waitForURL(urlPath('/settings/profile'));
    await page.getByLabel('Idioma').selectOption({ label: 'English' });
    await page.getByRole('button', { name: 'Guardar' }).click();
    await page.waitForURL(urlPath('/settings/profile'));

    await seeText(page, 'Profile saved.');
    await seen(navLink(page, 'Contacts'), 'the nav link "Contacts"');
    await seen(navLink(page, 'Settings'), 'the nav link "Settings"');
    assert.equal(await navLink(page, 'Contactos').count(), 0);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.getByLabel('Language').inputValue(), 'en');

    // It sticks across pages.
    await navLink(page, 'Dashboard').click();
    await page.waitForURL(urlPath('/dashboard'));
    await seeText(page.locator('main'), 'Hello, Lena Lang');
  } finally {
    await user?.context.close();
    await owner.context.close().catch(() => {});
  }
});

test('the language switch in the shell changes the language and stays on the page', async () => {
  const owner = await newPage(browser);
  let user;
  try {
    await signIn(owner.page, OWNER);
    const link = await createInvitation(owner.page, 'switch@acme.test', 'Miembro');
    await owner.context.close();
    user = await acceptInvitation(browser, link, { name: 'Sam Switch' });
    const { page } = user;
    await navLink(page, 'Contactos').click();
    await page.waitForURL(urlPath('/contacts'));

    await page.getByTestId('language-switch').click();
    await page.waitForURL(urlPath('/contacts'));
    await seen(navLink(page, 'Contacts'), 'the English nav');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');

    await page.getByTestId('language-switch').click();
    await page.waitForURL(urlPath('/contacts'));
    await seen(navLink(page, 'Contactos'), 'the Spanish nav again');
  } finally {
    await user?.context.close();
    await owner.context.close().catch(() => {});
  }
});

test('English picked on the login page carries into the session', async () => {
  const owner = await newPage(browser);
  let user;
  try {
    await signIn(owner.page, OWNER);
    const link = await createInvitation(owner.page, 'carry@acme.test', 'Miembro');
    await owner.context.close();
    user = await acceptInvitation(browser, link, { name: 'Cora Carry' });
    await user.context.close();

    const { context, page } = await newPage(browser);
    user = { context };
    await page.goto('/login?lang=en');
    await page.locator('input[name="email"]').fill('carry@acme.test');
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('main form button').click();
    await page.waitForURL(urlPath('/dashboard'));
    await seen(navLink(page, 'Contacts'), 'the English nav after signing in');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  } finally {
    await user?.context.close();
    await owner.context.close().catch(() => {});
  }
});

test('a member connects an external calendar on her profile, sees it, and removes it', async () => {
  const owner = await newPage(browser);
  let user;
  try {
    await signIn(owner.page, OWNER);
    const link = await createInvitation(owner.page, 'feed@acme.test', 'Miembro');
    await owner.context.close();
    user = await acceptInvitation(browser, link, { name: 'Fina Feed' });
    const { page } = user;
    await page.goto('/settings/profile');
    const feed = page.getByTestId('calendar-feed');

    // Not an https:// or webcal:// address: a clear error, nothing connected.
    await feed.getByLabel('Dirección iCal secreta').fill('ftp://calendar.example.invalid/basic.ics');
    await feed.getByRole('button', { name: 'Conectar calendario' }).click();
    await page.waitForURL(urlPath('/settings/profile'));
    await seeText(page, 'Esa dirección no sirve');
    assert.equal(await page.getByTestId('feed-status').count(), 0);

    // A secret iCal address: connected, shown by its host only (the
    // address is a secret), and read in the background.
    await feed.getByLabel('Dirección iCal secreta').fill('https://calendar.example.invalid/private-abc123/basic.ics');
    await feed.getByRole('button', { name: 'Conectar calendario' }).click();
    await page.waitForURL(urlPath('/settings/profile'));
    await seeText(page, 'Calendario externo guardado');
    await seeText(page.getByTestId('feed-status'), 'calendar.example.invalid');
    assert.ok(!(await page.content()).includes('private-abc123'), 'the secret part of the address is never shown');

    await feed.getByRole('button', { name: 'Quitar' }).click();
    await page.waitForURL(urlPath('/settings/profile'));
    await seeText(page, 'Calendario externo quitado.');
    assert.equal(await page.getByTestId('feed-status').count(), 0);
  } finally {
    await user?.context.close();
    await owner.context.close().catch(() => {});
  }
});
