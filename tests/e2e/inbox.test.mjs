// The shared inbox at the host: customers who write into chats the host does
// not have open are seen at once in agents' sidebars (the chat list's
// preview), and their messages are captured exactly once when nobody is
// using the host's WhatsApp Web, which is then put back on the person's chat
// with their draft. Messages that came while the host was closed are
// captured when it reopens, and ticks of a closed chat are still followed.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import {
  WAIT, api, waitFor, evidenceStep, hostOrganization, openBrowser, openWhatsApp, send, setRelay, signIn, signUp,
  startFixture, startProxy, startRelay, tab,
} from './harness.mjs';

const OPEN_CHAT = '447400000701';
const [B, C, D] = ['447400000702', '447400000703', '447400000704'];

for (const csp of ['strict', 'permissive']) {
  describe(`the host captures every chat (${csp} page policy)`, () => {
    let relay; let fixture; let proxy; let host; let agent; let orgId; let adminToken; let agentId; let agentEmail;
    const step = evidenceStep(`inbox-${csp}`, () => [host?.browser, agent?.browser]);
    const incoming = async () => {
      const feed = await api(relay, 'GET', `/messages?organization_id=${orgId}&after=0`, { token: adminToken });
      return feed.messages.filter((m) => m.direction === 'incoming');
    };
    const agentWorker = () => agent.browser.context.serviceWorkers()[0];
    const badge = () => agentWorker().evaluate(() => chrome.action.getBadgeText({}));
    const textsFrom = async (digits) => (await incoming())
      .filter((m) => m.chat_wa_id === `${digits}@c.us`).map((m) => m.text);

    before(async () => {
      relay = await startRelay();
      fixture = await startFixture();
      // The agent reaches the relay through a proxy the test can cut.
      proxy = await startProxy(relay);
      const setUp = await hostOrganization(fixture, relay, {
        name: `inbox-admin-${csp}`, email: `inbox-admin-${csp}@example.com`, phone: '+44 7400 000700', csp, idle: 5,
      });
      ({ orgId, adminToken } = setUp);
      host = { browser: setUp.browser, page: setUp.page, sidebar: setUp.sidebar };

      agentEmail = `inbox-agent-${csp}@example.com`;
      const agentBrowser = await openBrowser(fixture, `inbox-agent-${csp}`);
      await setRelay(agentBrowser, proxy);
      const options = await agentBrowser.context.newPage();
      await options.goto(`chrome-extension://${agentBrowser.extensionId}/options.html`);
      await options.locator('#notify').check();
      await options.locator('#saved', { hasText: 'notification' }).waitFor({ timeout: WAIT });
      await options.close();
      agent = { browser: agentBrowser, ...await openWhatsApp(agentBrowser, csp) };
      await signUp(agent.sidebar, { email: agentEmail, phone: '+44 7400 000709', type: 'agent' });
      const invite = await api(relay, 'POST', `/orgs/${orgId}/invites`, { token: adminToken, body: { email: agentEmail } });
      await tab(agent.sidebar, 'Team');
      await agent.sidebar.getByLabel(/Invite code/).waitFor({ timeout: WAIT });
      await agent.sidebar.getByLabel(/Invite code/).fill(invite.code);
      await agent.sidebar.getByRole('button', { name: 'Accept' }).click();
      await agent.sidebar.locator('#notice', { hasText: 'You joined' }).waitFor({ timeout: WAIT });
      await agent.sidebar.locator('#profile').selectOption(orgId);
      await tab(agent.sidebar, 'Chat');
      agentId = (await api(relay, 'GET', '/me', { token: await signIn(relay, agentEmail) })).id;
    });
    after(async () => {
      await host?.browser.context.close().catch(() => {});
      await agent?.browser.context.close().catch(() => {});
      fixture?.close();
      proxy?.close();
      relay?.stop();
    });

    step('chats written to while the host is busy light up at once and are captured once it is idle', async () => {
      const { page } = host;
      await page.evaluate((d) => window.fixture.openChat(d), OPEN_CHAT);
      await page.waitForFunction((d) => window.fixture.openJid() === `${d}@c.us`, OPEN_CHAT, { timeout: WAIT });
      await tab(host.sidebar, 'Host');
      await page.locator('#main footer [contenteditable="true"]').click();
      // The person keeps typing a draft while customers write elsewhere.
      const typing = page.keyboard.type('A reply I am still writing', { delay: 300 });
      await page.evaluate((d) => window.fixture.receive(d, 'Hello from B'), B);
      await page.evaluate((d) => window.fixture.receive(d, 'First from C'), C);
      await page.evaluate((d) => window.fixture.receive(d, 'Second from C'), C);
      for (const preview of ['Hello from B', 'Second from C']) {
        await agent.sidebar.locator('#chats li', { hasText: preview }).waitFor({ timeout: WAIT });
      }
      assert.match(await agent.sidebar.locator('#chats li', { hasText: 'Second from C' }).innerText(), /2 waiting at the host/);
      // The agent's toolbar button counts them, and they were notified.
      await waitFor(async () => (await badge()) === '3', 'the unread count on the button');
      const shown = await agentWorker().evaluate(() => chrome.notifications.getAll());
      assert.ok(Object.keys(shown).length >= 2, JSON.stringify(shown));
      await host.sidebar.locator('#host-status', { hasText: '2 chats waiting to be captured' }).waitFor({ timeout: WAIT });
      assert.deepEqual(await textsFrom(C), [], 'nothing is taken while the person types');
      assert.equal(await page.evaluate(() => window.fixture.openJid()), `${OPEN_CHAT}@c.us`);
      await typing;

      await waitFor(async () => (await textsFrom(C)).length === 2 && (await textsFrom(B)).length === 1,
        'the capture of B and C', 3 * WAIT);
      await page.waitForFunction((d) => window.fixture.openJid() === `${d}@c.us`, OPEN_CHAT, { timeout: WAIT });
      assert.equal(await page.evaluate((d) => window.fixture.draft(d), OPEN_CHAT), 'A reply I am still writing');
      await agent.sidebar.locator('#chats li', { hasText: '← Second from C' }).waitFor({ timeout: WAIT });
      // Let any duplicate arrive before counting.
      await new Promise((done) => setTimeout(done, 2000));
      assert.deepEqual(await textsFrom(B), ['Hello from B']);
      assert.deepEqual(await textsFrom(C), ['First from C', 'Second from C']);
    });

    step('an agent opens a shared chat from the sidebar, reads it and replies through the host', async () => {
      const { sidebar } = agent;
      await tab(sidebar, 'Chat');
      await sidebar.locator('#chat-whose').selectOption('unassigned');
      await sidebar.locator('#chat-search').fill('0703');
      await sidebar.locator('#chat-search').press('Enter');
      await sidebar.locator('#chats li', { hasText: 'Hello from B' }).waitFor({ state: 'detached', timeout: WAIT });
      const row = sidebar.locator('#chats li', { hasText: `+${C}` });
      await row.getByRole('button', { name: `+${C}` }).click();
      await sidebar.locator('#chat-number', { hasText: `+${C}` }).waitFor({ timeout: WAIT });
      for (const text of ['First from C', 'Second from C']) {
        await sidebar.locator('#timeline li.message.incoming', { hasText: text }).waitFor({ timeout: WAIT });
      }
      // Opening it read it for the team.
      await row.locator('.badge').waitFor({ state: 'detached', timeout: WAIT });
      await waitFor(async () => (await badge()) === '1', 'the count without C');
      await sidebar.locator('#chat-text').fill('We open at nine');
      await sidebar.locator('form[data-form="chat-send"] button[type=submit]').click();
      await sidebar.locator('#timeline li.message.outgoing', { hasText: 'We open at nine' })
        .locator('.status', { hasText: /^(sent|delivered|read)$/ }).waitFor({ timeout: 2 * WAIT });
      const sent = await host.page.evaluate((d) => window.fixture.sent(d), C);
      assert.deepEqual(sent.map((m) => m.text), ['We open at nine']);
      assert.equal(await agent.page.evaluate(() => window.fixture.openJid()), null,
        "the agent's own WhatsApp Web never had this chat");
      await sidebar.locator('#chat-back').click();
      await sidebar.locator('#chat-whose').selectOption('anyone');
      await sidebar.locator('#chat-search').fill('');
      await sidebar.locator('#chat-search').press('Enter');
      await sidebar.locator('#chats li', { hasText: 'Hello from B' }).waitFor({ timeout: WAIT });
    });

    step('a message sent to a chat is followed to read after the host left that chat', async () => {
      await send(agent.sidebar, `+${B}`, 'Thanks, we are on it');
      await agent.sidebar.locator('#sent li', { hasText: 'Thanks, we are on it' })
        .locator('.status', { hasText: /^(sent|delivered|read)$/ }).waitFor({ timeout: 2 * WAIT });
      // The host went back to the person's chat before WhatsApp showed it read.
      await host.page.waitForFunction((d) => window.fixture.openJid() === `${d}@c.us`, OPEN_CHAT, { timeout: WAIT });
      await agent.sidebar.locator('#sent li', { hasText: 'Thanks, we are on it' })
        .locator('.status', { hasText: /^read$/ }).waitFor({ timeout: WAIT });
    });

    step('a group is added from the sidebar, takes an agent\'s message, and its members\' replies are captured by name', async () => {
      const group = '120363000000000777';
      const { page } = host;
      await page.evaluate((id) => window.fixture.createGroup(id, 'Suppliers'), group);
      await page.evaluate((id) => window.fixture.receiveInGroup(id, '447400000790', 'Dora Supplies', 'Is Monday fine?'), group);
      // The capture opens it while nobody uses the page (the relay keeps the
      // message and learns of the group), and comes back.
      const inGroup = async () => (await incoming()).filter((m) => m.chat_wa_id === `${group}@g.us`);
      await waitFor(async () => (await inGroup()).length === 1, 'the capture of the group', 3 * WAIT);
      const [first] = await inGroup();
      assert.deepEqual(first.sender, { wa_id: '447400000790@c.us', name: 'Dora Supplies' });
      await page.waitForFunction((d) => window.fixture.openJid() === `${d}@c.us`, OPEN_CHAT, { timeout: WAIT });
      await page.evaluate((id) => window.fixture.openGroup(id), group);
      await tab(host.sidebar, 'Chat');
      await host.sidebar.getByRole('button', { name: 'Add group to Chorus' }).click();
      await host.sidebar.locator('#notice', { hasText: 'Suppliers is in Chorus now' }).waitFor({ timeout: WAIT });

      const { sidebar } = agent;
      await tab(sidebar, 'Chat');
      await sidebar.locator('#chats li', { hasText: 'Suppliers' }).getByRole('button', { name: 'Suppliers' }).click();
      await sidebar.locator('#timeline li.message.incoming', { hasText: 'Is Monday fine?' })
        .locator('.sender', { hasText: 'Dora Supplies' }).waitFor({ timeout: WAIT });
      await sidebar.locator('#chat-text').fill('Monday works');
      await sidebar.locator('form[data-form="chat-send"] button[type=submit]').click();
      await sidebar.locator('#timeline li.message.outgoing', { hasText: 'Monday works' })
        .locator('.status', { hasText: /^(sent|delivered|read)$/ }).waitFor({ timeout: 2 * WAIT });
      const sent = await page.evaluate((id) => window.fixture.sentIn(`${id}@g.us`), group);
      assert.deepEqual(sent.map((m) => m.text), ['Monday works']);

      await page.evaluate((id) => window.fixture.receiveInGroup(id, '447400000791', 'Eli', 'Great, thanks'), group);
      await sidebar.locator('#timeline li.message.incoming', { hasText: 'Great, thanks' })
        .locator('.sender', { hasText: 'Eli' }).waitFor({ timeout: 2 * WAIT });
      await sidebar.locator('#participants', { hasText: 'Dora Supplies, Eli' }).waitFor({ timeout: WAIT });
      await sidebar.locator('#chat-back').click();
    });

    step('a burst of 50 messages across 10 chats while the host is in use is all captured once', async () => {
      const { page } = host;
      await page.evaluate((d) => window.fixture.openChat(d), OPEN_CHAT);
      await page.waitForFunction((d) => window.fixture.openJid() === `${d}@c.us`, OPEN_CHAT, { timeout: WAIT });
      await page.locator('#main footer [contenteditable="true"]').click();
      const typing = page.keyboard.type(' and more words', { delay: 250 });
      const burst = [];
      for (let round = 0; round < 5; round++) {
        for (let chat = 0; chat < 10; chat++) {
          const digits = `4474000009${chat}0`;
          const text = `Burst ${chat}.${round}`;
          burst.push([digits, text]);
          await page.evaluate(([d, t]) => window.fixture.receive(d, t), [digits, text]);
        }
      }
      await typing;
      for (let chat = 0; chat < 10; chat++) {
        const digits = `4474000009${chat}0`;
        const expected = burst.filter(([d]) => d === digits).map(([, t]) => t);
        await waitFor(async () => (await textsFrom(digits)).length >= 5, `the burst in chat ${chat}`, 4 * WAIT);
        assert.deepEqual((await textsFrom(digits)).sort(), expected.sort(), `chat ${chat}, each once`);
      }
      await page.waitForFunction((d) => window.fixture.openJid() === `${d}@c.us`, OPEN_CHAT, { timeout: WAIT });
      assert.equal(await page.evaluate((d) => window.fixture.draft(d), OPEN_CHAT),
        'A reply I am still writing and more words');
    });

    step('an incoming document is recorded with its name and size', async () => {
      await host.page.evaluate((d) => window.fixture.receiveFile(d, 'document', 'invoice.pdf', 20480, 'My invoice'), B);
      await waitFor(async () => (await incoming()).some((m) => m.media?.name === 'invoice.pdf'), 'the document', 3 * WAIT);
      const doc = (await incoming()).find((m) => m.media?.name === 'invoice.pdf');
      assert.equal(doc.kind, 'document');
      assert.equal(doc.text, 'My invoice');
      assert.equal(doc.media.size, '20 kB');
      assert.equal(doc.cost, 3, 'a document costs three credits');
    });

    step('a sidebar cut off while 40 things happen shows every one after it reconnects', async () => {
      const { sidebar } = agent;
      await tab(sidebar, 'Chat');
      // Chat C stays open in the sidebar: its notes must arrive without reopening it.
      await sidebar.locator('#chats li', { hasText: `+${C}` }).getByRole('button', { name: `+${C}` }).click();
      await sidebar.locator('#chat-number', { hasText: `+${C}` }).waitFor({ timeout: WAIT });
      proxy.cut();
      await sidebar.locator('#connection').waitFor({ timeout: WAIT });
      const as = { token: adminToken };
      const chatC = (await api(relay, 'GET', `/chats?organization_id=${orgId}&q=${C}`, as)).chats[0].id;
      for (let i = 1; i <= 15; i++) {
        await api(relay, 'POST', `/chats/${chatC}/comments?organization_id=${orgId}`, { ...as, body: { body: `Note ${i} while away` } });
      }
      const fresh = [];
      for (let i = 0; i < 10; i++) {
        const sent = await api(relay, 'POST', '/messages', {
          ...as, body: { organization_id: orgId, phone: `+4474000008${i}0`, text: `Offer ${i}`, idempotency_key: `away-${csp}-${i}` },
        });
        fresh.push(sent.chat_id);
      }
      for (const [i, id] of fresh.entries()) {
        await api(relay, 'PATCH', `/chats/${id}?organization_id=${orgId}`, { ...as, body: { name: `Away customer ${i}` } });
      }
      for (const id of fresh.slice(0, 5)) {
        await api(relay, 'PUT', `/chats/${id}/assignee?organization_id=${orgId}`, { ...as, body: { assignee_id: agentId } });
      }
      proxy.restore();
      await sidebar.locator('#connection').waitFor({ state: 'detached', timeout: 3 * WAIT });
      for (let i = 1; i <= 15; i++) {
        await sidebar.locator('#timeline li.comment', { hasText: `Note ${i} while away` }).waitFor({ timeout: WAIT });
      }
      for (let i = 0; i < 10; i++) {
        const row = sidebar.locator('#chats li', { hasText: `Away customer ${i}` });
        await row.waitFor({ timeout: WAIT });
        if (i < 5) await row.locator('.muted', { hasText: `Assigned to ${agentEmail}` }).waitFor({ timeout: WAIT });
      }
      assert.equal(await sidebar.locator('#timeline li.comment', { hasText: 'while away' }).count(), 15, 'each once');
      await sidebar.locator('#chat-back').click();
    });

    step('messages that came while the host was closed are captured once when it reopens', async () => {
      const dir = host.browser.userDataDir;
      await host.browser.context.close();
      fixture.arrive(D, 'Are you there?');
      fixture.arrive(D, 'Hello?');
      host.browser = await openBrowser(fixture, `inbox-admin-${csp}-again`, dir);
      Object.assign(host, await openWhatsApp(host.browser, csp));
      await waitFor(async () => (await textsFrom(D)).length === 2, 'the capture of D', 3 * WAIT);
      await new Promise((done) => setTimeout(done, 2000));
      assert.deepEqual(await textsFrom(D), ['Are you there?', 'Hello?']);
      assert.deepEqual(await textsFrom(C), ['First from C', 'Second from C'], 'nothing captured twice');
    });
  });
}
