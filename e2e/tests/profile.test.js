// Choosing English in one's profile changes the interface for that user.
// Uses its own freshly invited user so the shared accounts stay in Spanish.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, newPage, signIn, urlPath, seen, seeText, navLink,
  createInvitation, acceptInvitation, OWNER,
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
