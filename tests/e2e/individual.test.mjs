// Scenario 1: an individual user, under each page policy.
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  WAIT, api, grant, keepEvidence, openBrowser, openWhatsApp, setRelay, signIn, signUp,
  startFixture, startRelay, tab, hostOwnNumber,
} from './harness.mjs';

/** A small but real PDF. */
function pdfFile() {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-e2e-files-'));
  const path = join(dir, 'price-list.pdf');
  writeFileSync(path, '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  return path;
}

for (const csp of ['strict', 'permissive']) {
  describe(`an individual user (${csp} page policy)`, () => {
    let relay; let fixture; let browser;
    before(async () => {
      relay = await startRelay();
      fixture = await startFixture();
      browser = await openBrowser(fixture, `individual-${csp}`);
      await setRelay(browser, relay);
    });
    after(async () => {
      await browser?.context.close();
      fixture?.close();
      relay?.stop();
    });

    it('signs up, sees credits, sends a text and a PDF to a new number', async (t) => {
      try {
        const email = `ana-${csp}@example.com`;
        const { page, sidebar } = await openWhatsApp(browser, csp);
        await signUp(sidebar, { email, phone: '+44 7400 000001', type: 'agent' });
        await grant(relay, { user_email: email }, 10);
        await sidebar.locator('#credits', { hasText: '10' }).waitFor({ timeout: WAIT });

        // The page made room for the sidebar instead of lying under it.
        const appWidth = await page.evaluate(() => document.getElementById('app').getBoundingClientRect().width);
        assert.ok(appWidth <= 1280 - 300, `#app is ${appWidth}px wide`);

        // This browser's WhatsApp Web hosts the user's own number.
        await hostOwnNumber(sidebar);

        await tab(sidebar, 'Send');
        await sidebar.locator('#send-phone').fill('+44 7400 000101');
        await sidebar.locator('#send-text').fill('Hello 👋\nYour order is ready.');
        await sidebar.locator('form[data-form="send"] button[type=submit]').click();
        await sidebar.locator('#sent li .status', { hasText: /^sent|delivered|read$/ }).first().waitFor({ timeout: WAIT });
        await sidebar.locator('#credits', { hasText: '9' }).waitFor({ timeout: WAIT });

        await tab(sidebar, 'Files');
        await sidebar.locator('#upload').setInputFiles(pdfFile());
        await sidebar.locator('#files li', { hasText: 'price-list.pdf' }).waitFor({ timeout: WAIT });
        await sidebar.locator('#files li').getByRole('button', { name: /^Send / }).click();
        await sidebar.locator('#send-phone').fill('+44 7400 000101');
        await sidebar.locator('#send-text').fill('Prices attached');
        await sidebar.locator('form[data-form="send"] button[type=submit]').click();
        await sidebar.locator('#credits', { hasText: '6' }).waitFor({ timeout: WAIT });
        await sidebar.locator('#sent li', { hasText: 'price-list.pdf' }).locator('.status', { hasText: /sent|delivered|read/ })
          .waitFor({ timeout: WAIT });

        // The page shows both, as WhatsApp Web would after a real send.
        const sent = await page.evaluate(() => window.fixture.sent('447400000101'));
        assert.equal(sent.length, 2, JSON.stringify(sent));
        assert.equal(sent[0].text, 'Hello 👋\nYour order is ready.');
        assert.equal(sent[1].kind, 'document');
        assert.equal(sent[1].fileName, 'price-list.pdf');
        assert.equal(sent[1].text, 'Prices attached');

        // The relay's record agrees: both sent, with WhatsApp's ids.
        const token = await signIn(relay, email);
        const feed = await api(relay, 'GET', '/messages?after=0', { token });
        const outgoing = feed.messages.filter((m) => m.direction === 'outgoing');
        assert.equal(outgoing.length, 2);
        for (const message of outgoing) {
          assert.ok(['sent', 'delivered', 'read'].includes(message.status), JSON.stringify(message));
          assert.ok(sent.some((row) => row.id === message.wa_id), `wa_id ${message.wa_id}`);
        }
        const credits = await api(relay, 'GET', '/credits', { token });
        assert.equal(credits.available, 6);

        // The ticks WhatsApp Web shows later reach the sender too.
        await tab(sidebar, 'Send');
        await sidebar.locator('#sent li', { hasText: 'Your order is ready' }).locator('.status', { hasText: 'read' })
          .waitFor({ timeout: WAIT });
      } catch (error) {
        const where = await keepEvidence(t.fullName || t.name, [browser]);
        error.message += `\n(screenshots and console in ${where})`;
        throw error;
      }
    });
  });
}
