// The demo a newcomer gets from `serve --demo`, started by a browser test
// on its own fresh database (the suite's server has no demo workspace):
// the tests sign in with the password the server prints once.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TIMEOUT } from './harness.js';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `serve --demo` on a free port and resolves, once it has printed the
 * demo password, to `{ base, password, stop }`.
 */
export async function startDemo() {
  const bin = process.env.E2E_BIN;
  assert.ok(bin, 'E2E_BIN names the binary under test (scripts/e2e.sh sets it)');
  const dir = mkdtempSync(join(tmpdir(), 'af-demo-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--demo', '--bind', `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${join(dir, 'demo.db')}`,
      AF_DATA_DIR: join(dir, 'data'),
      AF_BASE_URL: base,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () => {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  let out = '';
  let err = '';
  server.stderr.on('data', (d) => { err += d; });
  const password = await new Promise((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`no demo password within 60 s:\n${out}\n${err}`)), 60_000);
    server.on('exit', (code) => reject(new Error(`the demo server stopped (${code}):\n${out}\n${err}`)));
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/password: (\S+)/);
      if (m) {
        clearTimeout(limit);
        resolve(m[1]);
      }
    });
  });
  return { base, password, stop };
}

/**
 * A fresh context on the demo, signed in as the demo owner. `bypassCSP` lets
 * a test inject axe-core (the app itself never runs inline scripts).
 */
export async function demoPage(browser, demo, viewport, { locale = 'es-MX', bypassCSP = false } = {}) {
  const context = await browser.newContext({ baseURL: demo.base, locale, viewport, bypassCSP });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await page.goto('/login');
  await page.locator('input[name="email"]').fill('demo@agencyflow.local');
  await page.locator('input[name="password"]').fill(demo.password);
  await page.locator('main form button').click();
  await page.waitForURL((u) => u.pathname === '/dashboard');
  return { context, page };
}

/** The demo's first pipeline, opened from the pipelines list. */
export async function openBoard(page) {
  await page.goto('/pipelines');
  await page.locator('main a[href^="/pipelines/"]:not([href$="/settings"])').first().click();
  await page.locator('[data-testid="card"]').first().waitFor({ state: 'visible', timeout: TIMEOUT });
}
