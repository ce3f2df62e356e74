// A campaign from a spreadsheet, the way seed 001 describes it: upload the
// file in the sidebar, pick the sheet and the phone and name columns, name
// the campaign, write the message with "Insert merge field", preview what
// each recipient gets (and who is skipped, and what it costs), start it,
// and watch its progress bar fill while the organization's host sends one
// message to each recipient with their own values.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { WAIT, api, evidenceStep, hostOrganization, startFixture, startRelay, tab } from './harness.mjs';

const RECIPIENTS = Number(process.env.CHORUS_CAMPAIGN_RECIPIENTS || 500);
// The fixture's WhatsApp knows no number ending in 404: those sends fail,
// with the reason, and the campaign goes on.
const unknown = (i) => (100000 + i) % 1000 === 404;
const FAILING = [...Array(RECIPIENTS).keys()].filter(unknown);
const SENT = RECIPIENTS - FAILING.length;
// Sending at the fixture's pace, with no gaps: about a second a message.
const FINISH = Math.max(WAIT, RECIPIENTS * 8000);

/** A CSV of `count` recipients (with a title row above the header, a bad
 * number and a duplicate to be skipped). */
function spreadsheet(count) {
  const lines = ['Customers, December', 'Mobile number;Full name;Code'];
  for (let i = 0; i < count; i++) {
    lines.push(`+44 7411 ${String(100000 + i)};Person ${i};C${i}`);
  }
  lines.push('not a number;Nobody;X');
  lines.push(`+44 7411 100000;Again;Y`);
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

describe('a spreadsheet campaign through the sidebar and the host', () => {
  let relay; let fixture; let host; let orgId; let adminToken;
  const step = evidenceStep('campaigns', () => [host?.browser]);

  before(async () => {
    relay = await startRelay();
    fixture = await startFixture();
    host = await hostOrganization(fixture, relay, {
      name: 'campaign-admin', email: 'campaign-admin@example.com', phone: '+44 7400 000900', csp: 'strict',
      credits: RECIPIENTS + 50, dedicated: true,
    });
    ({ orgId, adminToken } = host);
    await api(relay, 'PATCH', `/orgs/${orgId}`, {
      token: adminToken,
      body: { pacing: { min_gap_seconds: 0, max_gap_seconds: 0, burst_size: 1000, burst_pause_seconds: 0, hourly_cap: 100000, daily_cap: 100000 } },
    });
  });
  after(async () => {
    await host?.browser.context.close().catch(() => {});
    fixture?.close();
    relay?.stop();
  });

  step('upload, choose the sheet and columns, write with merge fields, preview', async () => {
    const { sidebar } = host;
    await tab(sidebar, 'Campaigns');
    await sidebar.locator('#sheet-file').setInputFiles({ name: 'december.csv', mimeType: 'text/csv', buffer: spreadsheet(RECIPIENTS) });
    await sidebar.locator('#sheet-upload', { hasText: 'december.csv' }).waitFor({ timeout: WAIT });
    // The first row is a title: the column names are on row 2.
    await sidebar.locator('#campaign-header').fill('2');
    await sidebar.locator('#campaign-header').dispatchEvent('change');
    await sidebar.locator('#campaign-phone option', { hasText: 'Mobile number' }).waitFor({ state: 'attached', timeout: WAIT });
    assert.equal(await sidebar.locator('#campaign-phone').inputValue(), 'Mobile number');
    assert.equal(await sidebar.locator('#campaign-name-column').inputValue(), 'Full name');
    await sidebar.locator('#campaign-title').fill('December codes');
    await sidebar.locator('#campaign-text').fill('Hello');
    await sidebar.locator('#merge-field').selectOption('Full name');
    await sidebar.locator('#campaign-text').press('End');
    await sidebar.locator('#campaign-text').pressSequentially(', your code is');
    await sidebar.locator('#merge-field').selectOption('Code');
    assert.equal(await sidebar.locator('#campaign-text').inputValue(), 'Hello {{Full name}}, your code is {{Code}}');
    await sidebar.getByRole('button', { name: 'Preview' }).click();
    await sidebar.locator('#draft-summary', { hasText: `Will send to ${RECIPIENTS} of ${RECIPIENTS + 2} · 2 skipped · needs ${RECIPIENTS} credits` }).waitFor({ timeout: WAIT });
    await sidebar.locator('#draft-recipients li', { hasText: 'Hello Person 0, your code is C0' }).waitFor({ timeout: WAIT });
  });

  step('start: every recipient gets one message with their own values, and the bar fills', async () => {
    const { sidebar, page } = host;
    const started = Date.now();
    await sidebar.getByRole('button', { name: 'Start campaign' }).click();
    const row = sidebar.locator('#campaigns li', { hasText: 'December codes' });
    await row.waitFor({ timeout: WAIT });
    await sidebar.locator('#campaigns li[data-state="finished"]', { hasText: 'December codes' }).waitFor({ timeout: FINISH });
    const took = (Date.now() - started) / 1000;
    console.log(`campaign of ${RECIPIENTS}: ${took.toFixed(1)} s, ${(took / RECIPIENTS).toFixed(2)} s a message`);
    const { campaigns: listed } = await api(relay, 'GET', `/campaigns?organization_id=${orgId}`, { token: adminToken });
    const id = listed.find((c) => c.name === 'December codes').id;
    const failed = [];
    for (let after = 0; ;) {
      const page = await api(relay, 'GET', `/campaigns/${id}/recipients?organization_id=${orgId}&after=${after}&limit=1000`, { token: adminToken });
      failed.push(...page.recipients.filter((r) => r.status === 'failed').map((r) => [r.phone, r.reason]));
      if (!page.next_after) break;
      after = page.next_after;
    }
    assert.deepEqual(failed.map(([phone]) => phone), FAILING.map((i) => `+447411${100000 + i}`), JSON.stringify(failed));
    for (const [, reason] of failed) assert.match(reason, /WhatsApp/);
    assert.equal(await row.locator('progress').getAttribute('value'), '100');
    await row.locator('.progress-line', { hasText: `${SENT} of ${RECIPIENTS} sent` }).waitFor({ timeout: WAIT });

    // The fixture's WhatsApp: exactly one message to each, with their values.
    const sent = await page.evaluate(() => window.fixture.sentEverywhere());
    const campaignSent = sent.filter(([, text]) => text.startsWith('Hello Person'));
    assert.equal(campaignSent.length, SENT);
    const byChat = new Map(campaignSent);
    assert.equal(byChat.size, SENT, 'one message per recipient');
    for (let i = 0; i < RECIPIENTS; i++) {
      assert.equal(byChat.get(`447411${100000 + i}@c.us`), unknown(i) ? undefined : `Hello Person ${i}, your code is C${i}`);
    }
    // The relay's counts agree with the sidebar's and the fixture's.
    const { campaigns } = await api(relay, 'GET', `/campaigns?organization_id=${orgId}`, { token: adminToken });
    const campaign = campaigns.find((c) => c.name === 'December codes');
    assert.equal(campaign.state, 'finished');
    assert.equal(campaign.counts.sent, SENT);
    assert.equal(campaign.counts.failed, FAILING.length);
    assert.equal(campaign.counts.skipped, 2);
  });
});
