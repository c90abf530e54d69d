// The sidebar's workspace switcher submits itself when a workspace is picked.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, signIn, urlPath, seeText, notSeen, OWNER } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('picking "Beta CO" in the switcher shows the Beta CO dashboard without pressing a button', async () => {
  const { context, page } = await newPage(browser);
  try {
    await signIn(page, OWNER);
    const main = page.locator('main');
    await seeText(main, 'Acme MX');

    const switcher = page.locator('select[name="workspace_id"]');
    // The switch is a full form POST followed by a redirect to /dashboard.
    const switched = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/workspaces/switch' && r.request().method() === 'POST',
    );
    await switcher.selectOption({ label: 'Beta CO' });
    await switched;
    await page.waitForURL(urlPath('/dashboard'));

    await seeText(main, 'Beta CO');
    await seeText(main, 'America/Bogota');
    await notSeen(main.getByText('Acme MX'), '"Acme MX" in the page body');
    assert.equal(await switcher.locator('option:checked').textContent(), 'Beta CO');
    assert.match(await page.title(), /Beta CO/);

    // The choice sticks for this session.
    await page.reload();
    await seeText(main, 'Beta CO');
  } finally {
    await context.close();
  }
});
