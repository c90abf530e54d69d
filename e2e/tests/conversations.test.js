// The inbox in a real browser with two people signed in at once: the
// member watches Conversaciones on a phone (390 px) while a contact writes
// by SMS (Twilio's signed inbound webhook, signed here as Twilio signs it)
// and the owner, on a laptop, reads the thread and answers by email. The
// member's list shows the new thread with its unread count, then the
// owner's answer and the unread count gone — all without a reload
// (server-sent events on /conversations/events). The owner assigns the
// conversation to the member, whose bell rings. The pages pass axe-core,
// fit the phone and log no console errors (no CSP violation). Nothing
// waits for time to pass: every step waits for what it expects to see.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { launchBrowser, newPage, signIn, seen, unique, BASE_URL, OWNER, MEMBER, axeViolations as axe, watchConsole, createApiKey, apiJson } from '../lib/harness.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const TOKEN = 'e2e-twilio-auth-token';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';



/** Twilio's X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted params. */
function twilioSignature(url, params) {
  const data = Object.keys(params).sort().reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', TOKEN).update(data).digest('base64');
}

async function inboundSms(from, body) {
  const url = `${BASE_URL}/webhooks/twilio/acme/inbound`;
  const params = { MessageSid: `SM${unique()}`, From: from, To: '+15550001111', Body: body };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(url, params) },
    body: new URLSearchParams(params).toString(),
  });
  assert.equal(res.status, 200, `inbound answered ${res.status}: ${await res.text()}`);
}

async function setTwilio(page, on) {
  await page.goto('/settings/channels');
  if (on) {
    await page.locator('#ch-twilio_account_sid').fill(ACCOUNT);
    await page.locator('#ch-twilio_auth_token').fill(TOKEN);
  } else {
    for (const name of ['twilio_account_sid', 'twilio_auth_token']) {
      const clear = page.locator(`[data-testid="clear-${name}"]`);
      if (await clear.count()) await clear.check();
    }
  }
  await page.locator('[data-testid="channels-save"]').click();
  await page.waitForLoadState('load');
}

test('a contact writes, the owner answers, the member sees it all live on a phone', async () => {
  const owner = await newPage(browser, { bypassCSP: false });
  const member = await newPage(browser, { viewport: { width: 390, height: 844 }, bypassCSP: true });
  const ownerErrors = watchConsole(owner.page);
  try {
    await signIn(owner.page, OWNER);
    await signIn(member.page, MEMBER);
    const key = await createApiKey(owner.page, 'inbox');
    await setTwilio(owner.page, true);
    const tag = unique();
    const phone = `+5255${String(Date.now()).slice(-8)}`;
    const contact = await apiJson(key, 'POST', '/api/v1/contacts', {
      first_name: 'Inés',
      last_name: `Bandeja ${tag}`,
      email: `ines.${tag}@example.com`,
      phone,
    });

    // The member keeps the inbox open on the phone.
    await member.page.goto('/conversations');
    await seen(member.page.getByRole('heading', { name: 'Conversaciones' }), 'the inbox');

    // The contact writes by SMS: the member's list shows it, unread.
    const words = `¿Tienen precio para ${tag}?`;
    await inboundSms(contact.phone ?? phone, words);
    const row = member.page.locator(`[data-conversation="${contact.id}"]`);
    await seen(row.getByText(words), "the new thread in the member's list");
    await seen(row.locator('[data-testid="unread-count"]'), 'its unread count');
    // The navigation's badge (in the closed drawer on a phone) counts it.
    await member.page.waitForFunction(() => {
      const b = document.querySelector('[data-nav-badge]');
      return b && !b.classList.contains('hidden') && Number(b.firstChild.nodeValue) >= 1;
    });

    // The owner opens the thread (laptop) and answers by email.
    await owner.page.goto(`/conversations/${contact.id}`);
    await seen(owner.page.locator('[data-testid="thread-messages"]').getByText(words), 'the message in the thread');
    const form = owner.page.locator('[data-testid="reply-form"]');
    await form.locator('[data-testid="reply-channel"]').selectOption('email');
    const answer = `Hola Inés, te envío la propuesta ${tag}`;
    await form.locator('[data-testid="reply-body"]').fill(answer);
    await form.locator('[data-testid="reply-send"]').click();
    await seen(owner.page.getByText('Mensaje en cola de envío.'), 'the confirmation');
    await seen(owner.page.locator('[data-testid="thread-messages"]').getByText(answer), 'the answer in the thread');

    // Without a reload, the member's list shows the answer and no unread.
    await seen(row.getByText(answer), "the owner's answer in the member's list");
    assert.equal(await row.locator('[data-testid="unread-count"]').count(), 0, 'read by the owner');

    // The owner assigns it to the member: the member's bell rings.
    const count = member.page.locator('[data-testid="bell-count-phone"]');
    const before = Number(await count.textContent());
    await owner.page.locator('[data-testid="assignee"]').selectOption({ label: 'Mario Member' });
    await owner.page.locator('[data-testid="assign-form"]').getByRole('button').click();
    await owner.page.waitForLoadState('load');
    await member.page.waitForFunction(
      ([n]) => Number(document.querySelector('[data-testid="bell-count-phone"]')?.textContent) >= n,
      [before + 1],
    );

    // The member opens the thread on the phone: both messages, it fits.
    await row.locator('a').click();
    await seen(member.page.locator('[data-testid="thread-messages"]').getByText(answer), 'the thread on the phone');
    await seen(member.page.locator('[data-testid="thread-messages"]').getByText(words), 'the inbound message on the phone');
    const wide = await member.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide at 390 px`);
    assert.deepEqual(await axe(member.page), [], 'axe-core on the thread');
    await member.page.goto('/conversations');
    assert.deepEqual(await axe(member.page), [], 'axe-core on the inbox');
    assert.deepEqual(ownerErrors, [], 'no console errors (CSP) for the owner');
  } finally {
    await setTwilio(owner.page, false).catch(() => {});
    await owner.context.close();
    await member.context.close();
  }
});
