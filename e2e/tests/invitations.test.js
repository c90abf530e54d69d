// An owner invites someone; they open the link in their own browser, create
// an account and arrive in the workspace.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, newPage, signIn, urlPath, seen, seeText, createInvitation, OWNER, PASSWORD,
} from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('an invited person registers from the link and lands on the dashboard as themselves', async () => {
  const owner = await newPage(browser);
  let guest;
  try {
    await signIn(owner.page, OWNER);
    const link = await createInvitation(owner.page, 'new@acme.test', 'Miembro');
    assert.match(link, /^https?:\/\/[^/]+\/invite\/\S+$/);
    await seeText(owner.page, 'new@acme.test · Miembro');

    // A new browser context: nobody is signed in there.
    guest = await newPage(browser);
    const { page } = guest;
    await page.goto(link);
    await seen(page.getByRole('heading', { name: 'Invitación' }), 'the invitation page');
    await seeText(page, 'Acme MX');
    await page.getByLabel('Nombre').fill('Nina Nueva');
    await page.getByLabel(/Contraseña nueva/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Crear cuenta y unirme' }).click();
    await page.waitForURL(urlPath('/dashboard'));

    const main = page.locator('main');
    await seeText(main, 'Hola, Nina Nueva');
    await seeText(main, 'Acme MX');
    await seeText(page.getByRole('navigation'), 'Miembro', { exact: true });

    // The owner now sees them among the members, and the invitation is used up.
    await owner.page.goto('/settings/members');
    await seen(owner.page.locator('tr[data-member="new@acme.test"]'), 'the new member in the list');
    await guest.context.close();
    guest = await newPage(browser);
    await guest.page.goto(link);
    await seeText(guest.page, 'La invitación no es válida');
  } finally {
    await guest?.context.close();
    await owner.context.close();
  }
});
