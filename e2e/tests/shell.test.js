// The signed-in shell on a phone (390×844) and a laptop (1366×768): the
// navigation is a drawer on the phone (menu button, Escape, backdrop) and a
// sidebar on the laptop, the page never scrolls sideways, and a skip link
// leads keyboard users past the navigation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, seen, notSeen, urlPath, artifactPath, OWNER } from '../lib/harness.js';

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 768 };

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function noSidewaysScroll(page, where) {
  const { scroll, inner } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
  }));
  assert.ok(scroll <= inner, `${where}: the page is ${scroll} px wide in a ${inner} px window`);
}

test('on a phone the navigation is a drawer that opens, closes and navigates', async () => {
  const { context, page } = await newPage(browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await signIn(page, OWNER);
    const menu = page.getByRole('button', { name: 'Abrir el menú' });
    const contacts = page.getByRole('navigation').getByRole('link', { name: 'Contactos', exact: true });
    await seen(menu, 'the menu button');
    await notSeen(contacts, 'the navigation, closed');
    await noSidewaysScroll(page, '/dashboard on a phone');

    await page.screenshot({ path: artifactPath('phone-dashboard.png') });
    await menu.click();
    await seen(contacts, 'the navigation, opened');
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    // The drawer slides in; photograph it once it is in place.
    await page.waitForFunction(() => document.getElementById('app-nav').getBoundingClientRect().left >= 0);
    await page.screenshot({ path: artifactPath('phone-navigation.png') });
    await page.keyboard.press('Escape');
    await notSeen(contacts, 'the navigation after Escape');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-controls')), 'app-nav',
      'focus goes back to the menu button');

    await menu.click();
    await page.getByRole('button', { name: 'Cerrar el menú' }).click();
    await notSeen(contacts, 'the navigation after its close button');

    await menu.click();
    await contacts.click();
    await page.waitForURL(urlPath('/contacts'));
    await notSeen(contacts, 'the navigation on the next page');
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await context.close();
  }
});

test('on a laptop the sidebar is always there and the menu button is not', async () => {
  const { context, page } = await newPage(browser, { viewport: LAPTOP });
  try {
    await signIn(page, OWNER);
    await seen(page.getByRole('navigation').getByRole('link', { name: 'Contactos', exact: true }), 'the sidebar');
    await notSeen(page.getByRole('button', { name: 'Abrir el menú' }), 'the menu button');
    await noSidewaysScroll(page, '/dashboard on a laptop');
  } finally {
    await context.close();
  }
});

test('the first Tab reaches a skip link that jumps to the content', async () => {
  const { context, page } = await newPage(browser, { viewport: LAPTOP });
  try {
    await signIn(page, OWNER);
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Saltar al contenido' });
    await seen(skip, 'the skip link, focused');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  } finally {
    await context.close();
  }
});

test('"/" jumps to the header search and Enter shows the results page', async () => {
  const { context, page } = await newPage(browser, { viewport: LAPTOP });
  try {
    await signIn(page, OWNER);
    await page.keyboard.press('/');
    const box = page.getByRole('searchbox', { name: 'Buscar contactos, negocios, formularios…' }).first();
    assert.equal(await box.evaluate((el) => el === document.activeElement), true, '"/" focuses the search box');
    await page.keyboard.type('Olga');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/search');
    await seen(page.getByTestId('search-none').or(page.getByTestId('search-results')), 'the results');
  } finally {
    await context.close();
  }
});
