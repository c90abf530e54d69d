// Shared helpers for the browser tests: launching Debian's Chromium through
// playwright-core, fresh browser contexts, signing in, and small waiting
// assertions (playwright-core has no `expect`, so these lean on Playwright's
// own auto-waiting: locator.waitFor, page.waitForURL).
//
// The server, its database and the seeded accounts come from scripts/e2e.sh.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const BASE_URL = (() => {
  const url = process.env.E2E_BASE_URL;
  if (!url) {
    throw new Error('E2E_BASE_URL is not set: run the browser tests through scripts/e2e.sh');
  }
  return url.replace(/\/+$/, '');
})();

/** How long a wait may take before the test fails (ms). */
export const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 10_000);

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

// Seeded by scripts/e2e.sh.
export const PASSWORD = 'e2e password 123';
export const OWNER = { email: 'owner@acme.test', password: PASSWORD, name: 'Olga Owner' };
export const MEMBER = { email: 'member@acme.test', password: PASSWORD };

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * A fresh, isolated context (own cookies) with a page. The default browser
 * language is Mexican Spanish, the app's audience; pass `locale` to change it.
 */
export async function newPage(browser, { locale = 'es-MX', ...rest } = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    locale,
    viewport: { width: 1280, height: 800 },
    ...rest,
  });
  context.setDefaultTimeout(TIMEOUT);
  context.setDefaultNavigationTimeout(TIMEOUT);
  const page = await context.newPage();
  return { context, page };
}

/** Signs in through the login form and waits for the dashboard. */
export async function signIn(page, { email, password }) {
  await page.goto('/login');
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('main form button').click();
  await page.waitForURL(urlPath('/dashboard'));
}

/** A waitForURL matcher for an exact path on the server under test (query ignored). */
export function urlPath(path) {
  return (url) => url.origin === new URL(BASE_URL).origin && url.pathname === path;
}

/** Waits until `locator` is visible (fails the test with a clear message otherwise). */
export async function seen(locator, what = String(locator)) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: TIMEOUT });
  } catch (err) {
    throw new Error(`expected to see ${what} within ${TIMEOUT} ms\n${err.message}`);
  }
}

/** Waits until `locator` has disappeared (or never was there). */
export async function notSeen(locator, what = String(locator)) {
  try {
    await locator.first().waitFor({ state: 'hidden', timeout: TIMEOUT });
  } catch (err) {
    throw new Error(`expected ${what} to be gone within ${TIMEOUT} ms\n${err.message}`);
  }
}

/** Waits until `text` is visible anywhere inside `scope` (a page or locator). */
export function seeText(scope, text, opts = {}) {
  return seen(scope.getByText(text, opts), JSON.stringify(text));
}

/** The main navigation's link called `name` (exact). */
export function navLink(page, name) {
  return page.getByRole('navigation').getByRole('link', { name, exact: true });
}

/**
 * As a signed-in owner/admin, invites `email` with `roleLabel` at
 * /settings/members and returns the link shown once on the page.
 */
export async function createInvitation(ownerPage, email, roleLabel = 'Miembro') {
  await ownerPage.goto('/settings/members');
  const form = ownerPage.locator('form[action="/settings/members/invite"]');
  await form.getByLabel('Correo electrónico').fill(email);
  await form.getByLabel('Rol').selectOption({ label: roleLabel });
  await form.getByRole('button', { name: 'Crear invitación' }).click();
  const linkInput = ownerPage.locator('input[data-testid="invite-link"]');
  await seen(linkInput, 'the invitation link');
  return linkInput.inputValue();
}

/**
 * Opens an invitation link in a new, signed-out context, registers with
 * `name` and `password`, and waits for the dashboard. Returns the new
 * context and page (the caller closes the context).
 */
export async function acceptInvitation(browser, link, { name, password = PASSWORD }) {
  const { context, page } = await newPage(browser);
  await page.goto(link);
  await page.getByLabel('Nombre').fill(name);
  await page.getByLabel(/Contraseña nueva/).fill(password);
  await page.getByRole('button', { name: 'Crear cuenta y unirme' }).click();
  await page.waitForURL(urlPath('/dashboard'));
  return { context, page };
}

/** A unique suffix so reruns against a kept database do not collide. */
export function unique() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function artifactPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * axe-core's WCAG 2.1 A/AA violations on the page, one line each. axe is
 * injected as a script, so call it on a page whose context bypasses the
 * CSP (`newPage(browser, { bypassCSP: true })`).
 */
export async function axeViolations(page) {
  await page.addScriptTag({ path: AXE_SOURCE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => `${v.id} (${v.help}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

/**
 * Collects the page's console errors and uncaught exceptions — a CSP
 * violation is reported as a console error — into the returned array.
 */
export function watchConsole(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return errors;
}

/**
 * As a signed-in owner/admin, creates an API key at /settings/api-keys
 * (named `e2e {label} …`) and returns it, shown once on the page.
 */
export async function createApiKey(page, label) {
  await page.goto('/settings/api-keys');
  await page.getByLabel('Nombre de la clave').fill(`e2e ${label} ${unique()}`);
  await page.getByRole('button', { name: 'Crear clave' }).click();
  const keyInput = page.locator('input[data-testid="new-api-key"]');
  await seen(keyInput, 'the new key');
  return keyInput.inputValue();
}

/** Calls the JSON API with `key`; fails the test unless it answers 2xx. */
export async function apiJson(key, method, path, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      Accept: 'application/json',
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}
