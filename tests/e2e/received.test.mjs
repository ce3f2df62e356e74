// What customers send reaches agents whole: the host captures a message even
// when its person opens the chat before the chat list showed it, keeps
// WhatsApp's own time of each message, uploads the photos, documents and
// voice notes its WhatsApp Web has downloaded (agents show, play and save
// them from the sidebar), and finds groups its chat list has not rendered
// by searching, with their members shown to the team. Anyone adds a group
// to their own "You" chats.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import {
  WAIT, api, waitFor, evidenceStep, hostOrganization, openBrowser, openWhatsApp, setRelay, signIn, signUp,
  startFixture, startRelay, tab,
} from './harness.mjs';

const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

for (const csp of ['strict', 'permissive']) {
  describe(`received messages reach agents whole (${csp} page policy)`, () => {
    let relay; let fixture; let host; let agent; let orgId; let adminToken; let agentToken;
    const step = evidenceStep(`received-${csp}`, () => [host?.browser, agent?.browser]);
    const incoming = async () => {
      const feed = await api(relay, 'GET', `/messages?organization_id=${orgId}&after=0&limit=500`, { token: adminToken });
      return feed.messages.filter((m) => m.direction === 'incoming');
    };
    const from = async (digits) => (await incoming()).filter((m) => m.chat_wa_id === `${digits}@c.us`);

    before(async () => {
      relay = await startRelay();
      fixture = await startFixture();
      const setUp = await hostOrganization(fixture, relay, {
        name: `received-admin-${csp}`, email: `received-admin-${csp}@example.com`, phone: '+44 7400 000800', csp,
        dedicated: true,
      });
      ({ orgId, adminToken } = setUp);
      host = { browser: setUp.browser, page: setUp.page, sidebar: setUp.sidebar };

      const agentEmail = `received-agent-${csp}@example.com`;
      const agentBrowser = await openBrowser(fixture, `received-agent-${csp}`);
      await setRelay(agentBrowser, relay);
      agent = { browser: agentBrowser, ...await openWhatsApp(agentBrowser, csp) };
      await signUp(agent.sidebar, { email: agentEmail, phone: '+44 7400 000809', type: 'agent' });
      agentToken = await signIn(relay, agentEmail);
      const invite = await api(relay, 'POST', `/orgs/${orgId}/invites`, { token: adminToken, body: { email: agentEmail } });
      await api(relay, 'POST', `/invites/${invite.id}/accept`, { token: agentToken, body: { confirm: true, code: invite.code } });
      await agent.page.reload();
      agent.sidebar = agent.page.frameLocator('iframe[data-chorus="sidebar"]');
      await agent.sidebar.locator('#profile').selectOption(orgId, { timeout: WAIT });
      await tab(agent.sidebar, 'Chat');
    });
    after(async () => {
      await host?.browser.context.close().catch(() => {});
      await agent?.browser.context.close().catch(() => {});
      fixture?.close();
      relay?.stop();
    });

    step('a chat its person opens before the chat list showed it still has its new message captured', async () => {
      const digits = '447400000811';
      const started = Date.now();
      await host.page.evaluate((d) => window.fixture.receiveAndOpen(d, 'Quick question'), digits);
      const [message] = await waitFor(async () => {
        const found = await from(digits);
        return found.length ? found : null;
      }, 'the capture of a chat opened at once', 2 * WAIT);
      assert.equal(message.text, 'Quick question');
      // WhatsApp's time of it, to the minute.
      const at = Date.parse(message.wa_time);
      assert.ok(Math.abs(at - started) < 2 * 60_000, `${message.wa_time} is about now`);
      assert.equal(new Date(at).getUTCSeconds(), 0);
    });

    step('photos, documents and voice notes the host downloaded are shown, played and saved by agents', async () => {
      const digits = '447400000812';
      const { page } = host;
      await page.evaluate((d) => window.fixture.receiveFile(d, 'image', 'damage.png', 68, 'The damage', true), digits);
      await page.evaluate((d) => window.fixture.receiveFile(d, 'document', 'quote.pdf', 2048, 'Our quote', true), digits);
      await page.evaluate((d) => window.fixture.receiveFile(d, 'audio', null, 9000, '', true), digits);
      await page.evaluate((d) => window.fixture.receiveFile(d, 'document', 'later.pdf', 4096, 'Not downloaded', false), digits);
      const stored = await waitFor(async () => {
        const found = await from(digits);
        return found.filter((m) => m.attachment).length === 3 && found.length === 4 ? found : null;
      }, 'the three files with their bytes', 3 * WAIT);
      const byKind = Object.fromEntries(stored.filter((m) => m.attachment).map((m) => [m.kind, m]));
      assert.equal(byKind.image.attachment.mime, 'image/png');
      assert.equal(byKind.document.attachment.name, 'quote.pdf');
      assert.equal(byKind.audio.attachment.mime, 'audio/ogg');
      assert.equal(byKind.audio.media.size, '0:07');
      const later = stored.find((m) => m.text === 'Not downloaded');
      assert.equal(later.attachment, null, 'a file the page has not downloaded stays on the phone');
      const bytes = await fetch(`${relay.url}/api/v1/files/${byKind.image.attachment.id}/content?organization_id=${orgId}`,
        { headers: { Authorization: `Bearer ${agentToken}` } });
      assert.equal(Buffer.from(await bytes.arrayBuffer()).toString('base64'), PNG_BASE64);

      const { sidebar } = agent;
      await sidebar.locator('#chats li', { hasText: `+${digits}` }).getByRole('button', { name: `+${digits}` }).click();
      await sidebar.locator('#timeline li.message.incoming', { hasText: 'Not downloaded' })
        .locator('.text', { hasText: "media on the host's phone" }).waitFor({ timeout: WAIT });
      // A photo's row shows no name: it is kept as file.png.
      await sidebar.getByRole('button', { name: /^Show file\.png/ }).click();
      const picture = sidebar.locator('#timeline img.thumb');
      await picture.waitFor({ timeout: WAIT });
      assert.match(await picture.getAttribute('src'), /^blob:chrome-extension:/);
      await waitFor(() => picture.evaluate((img) => img.complete && img.naturalWidth === 1), 'the picture drawn');
      await sidebar.getByRole('button', { name: /^Play file\.ogg/ }).click();
      await sidebar.locator('#timeline audio[controls]').waitFor({ timeout: WAIT });
      await sidebar.getByRole('button', { name: /^Open quote\.pdf/ }).click();
      const save = sidebar.locator('a.received-save', { hasText: 'quote.pdf' });
      await save.waitFor({ timeout: WAIT });
      assert.equal(await save.getAttribute('download'), 'quote.pdf');
      await sidebar.locator('#chat-back').click();
    });

    step('a group the chat list has not rendered is found by searching, and its members are shown', async () => {
      const group = '120363000000000888';
      const { page } = host;
      await page.evaluate((id) => window.fixture.createGroup(id, 'Night shift', ['Dora', 'Eli']), group);
      // A member writes: the capture opens the group (its rows show its
      // id), and the relay learns it and its members.
      await page.evaluate((id) => window.fixture.receiveInGroup(id, '447400000890', 'Dora', 'Who has the keys?'), group);
      await waitFor(async () => {
        const groups = await api(relay, 'GET', `/groups?organization_id=${orgId}`, { token: adminToken });
        return groups.some((g) => g.wa_id === `${group}@g.us`);
      }, 'the group reported', 2 * WAIT);
      await api(relay, 'POST', '/groups', { token: adminToken, body: { organization_id: orgId, wa_id: `${group}@g.us` } });
      const row = agent.sidebar.locator('#chats li', { hasText: 'Night shift' });
      await row.locator('.members', { hasText: 'Dora, Eli' }).waitFor({ timeout: WAIT });

      // Twenty quieter chats push the group out of the rendered rows.
      await page.evaluate(() => window.fixture.fillList(20, '4474000007'));
      assert.equal(await page.locator('#pane-side [role="row"]', { hasText: 'Night shift' }).count(), 0);
      const chat = (await api(relay, 'GET', `/chats?organization_id=${orgId}&q=Night`, { token: adminToken })).chats[0];
      await api(relay, 'PUT', `/chats/${chat.id}/assignee?organization_id=${orgId}`, {
        token: adminToken, body: { assignee_id: (await api(relay, 'GET', '/me', { token: agentToken })).id },
      });
      await row.getByRole('button', { name: 'Night shift' }).click();
      await agent.sidebar.locator('#participants', { hasText: 'Members: Dora, Eli' }).waitFor({ timeout: WAIT });
      await agent.sidebar.locator('#chat-text').fill('Keys are at the desk');
      await agent.sidebar.locator('form[data-form="chat-send"] button[type=submit]').click();
      await agent.sidebar.locator('#timeline li.message.outgoing', { hasText: 'Keys are at the desk' })
        .locator('.status', { hasText: /^(sent|delivered|read)$/ }).waitFor({ timeout: 2 * WAIT });
      const sent = await page.evaluate((id) => window.fixture.sentIn(`${id}@g.us`), group);
      assert.deepEqual(sent.map((m) => m.text), ['Keys are at the desk']);
      await waitFor(() => page.evaluate(() => document.querySelector('#side [data-tab="3"]').textContent === ''),
        'the search box emptied after');
      await agent.sidebar.locator('#chat-back').click();
    });

    step('anyone adds a group open in their own WhatsApp Web to their "You" chats', async () => {
      const { page, sidebar } = agent;
      await page.evaluate(() => window.fixture.createGroup('120363000000000889', 'Book club', ['Fay']));
      // A group shows its id through its rows.
      await page.evaluate(() => window.fixture.receiveInGroup('120363000000000889', '447400000891', 'Fay', 'Chapter 3?'));
      await page.evaluate(() => window.fixture.openGroup('120363000000000889'));
      await sidebar.locator('#profile').selectOption('');
      await tab(sidebar, 'Chat');
      await sidebar.getByRole('button', { name: 'Add group to Chorus' }).click();
      await sidebar.locator('#notice', { hasText: 'Book club is in your Chorus chats now' }).waitFor({ timeout: WAIT });
      const mine = await api(relay, 'GET', '/chats', { token: agentToken });
      assert.ok(mine.chats.some((c) => c.name === 'Book club' && c.organization_id === null), JSON.stringify(mine));
      const theirs = await api(relay, 'GET', `/chats?organization_id=${orgId}`, { token: adminToken });
      assert.ok(!theirs.chats.some((c) => c.name === 'Book club'), 'the organization does not see it');
    });
  });
}
