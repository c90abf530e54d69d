// Every signed-in page the navigation reaches passes axe-core's WCAG 2.1 A
// and AA rules (labels, contrast, landmarks, names of buttons and links) at
// phone and laptop widths. axe is injected into the page, so this context
// bypasses the CSP (the app itself never runs inline scripts).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launchBrowser, newPage, signIn, OWNER } from '../lib/harness.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const VIEWPORTS = [{ width: 390, height: 844 }, { width: 1366, height: 768 }];
const LISTS = ['/contacts', '/pipelines', '/forms', '/automations', '/settings', '/messages'];
const SKIP = /logout|export|\/delete|\/erase|\/logo$/;

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function pagesToVisit(page) {
  const paths = new Set(['/dashboard', '/search?q=a']);
  await page.goto('/dashboard');
  for (const href of await page.$$eval('nav a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')))) {
    paths.add(href);
  }
  for (const list of LISTS) {
    await page.goto(list);
    const hrefs = await page.$$eval('main a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')));
    for (const href of hrefs.slice(0, 12)) paths.add(href);
  }
  return [...paths].filter((p) => !SKIP.test(p)).sort();
}

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`),
    }));
  });
}

for (const viewport of VIEWPORTS) {
  test(`axe-core finds no WCAG A/AA violation on any signed-in page at ${viewport.width}×${viewport.height}`, async () => {
    const { context, page } = await newPage(browser, { viewport, bypassCSP: true });
    try {
      await signIn(page, OWNER);
      const found = [];
      for (const path of await pagesToVisit(page)) {
        await page.goto(path);
        for (const v of await axe(page)) found.push(`${path} ${v.id} (${v.help}): ${v.nodes.join(' | ')}`);
      }
      assert.deepEqual(found, [], `axe violations:\n${found.join('\n')}`);
    } finally {
      await context.close();
    }
  });
}

// The form builder draws its controls with script: check them with the
// "new custom field" form open and showing an error.
for (const viewport of VIEWPORTS) {
  test(`the form builder's mapping and new custom field controls pass axe-core at ${viewport.width}×${viewport.height}`, async () => {
    const { context, page } = await newPage(browser, { viewport, bypassCSP: true });
    try {
      await signIn(page, OWNER);
      await page.goto('/forms/new?starter=cotizacion');
      const card = page.locator('[data-testid="fb-field"]').last();
      await card.getByLabel('Guardar en el contacto').selectOption({ label: '+ Nuevo campo personalizado' });
      const panel = card.locator('[data-testid="fb-new-cf"]');
      await panel.getByLabel('Nombre del campo').fill(' ');
      await panel.getByRole('button', { name: 'Crear y usar' }).click();
      await panel.getByText('Escribe una etiqueta de 1 a 80 caracteres.').waitFor();
      await page.getByRole('button', { name: 'Inglés' }).click();
      const found = (await axe(page)).map((v) => `${v.id} (${v.help}): ${v.nodes.join(' | ')}`);
      assert.deepEqual(found, [], `axe violations:\n${found.join('\n')}`);
    } finally {
      await context.close();
    }
  });
}
