// Scenarios 2-5: a shared organization number, under each page policy.
// The steps build on each other (the admin hosts, agents join, a chat is
// assigned, a customer writes, the host goes away and comes back), so they
// run in order in one suite per policy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  WAIT, api, waitFor, grant, keepEvidence, openBrowser, openWhatsApp, setRelay, signIn, signUp,
  send, startFixture, startRelay, tab,
} from './harness.mjs';

const CUSTOMER = '447400000201';

for (const csp of ['strict', 'permissive']) {
  describe(`a shared organization number (${csp} page policy)`, () => {
    let relay; let fixture;
    const people = {};
    /** Invite codes the admin was shown, by invited email. */
    const codes = {};
    let orgId;
    let adminToken;
    const orgCredits = async () =>
      (await api(relay, 'GET', `/credits?organization_id=${orgId}`, { token: adminToken })).available;

    // Each step saves evidence of every browser when it fails.
    const step = (name, body) => it(name, async (t) => {
      try {
        await body();
      } catch (error) {
        const where = await keepEvidence(`${csp}-${t.name}`, Object.values(people).map((p) => p.browser));
        error.message += `\n(screenshots and console in ${where})`;
        throw error;
      }
    });

    async function join(name, phone) {
      const email = `${name}-${csp}@example.com`;
      const browser = await openBrowser(fixture, `${name}-${csp}`);
      await setRelay(browser, relay);
      const { page, sidebar } = await openWhatsApp(browser, csp);
      await signUp(sidebar, { email, phone, type: 'agent' });
      people[name] = { email, browser, page, sidebar };
      return people[name];
    }

    async function acceptAndSwitch(person) {
      await tab(person.sidebar, 'Team');
      // Without the code the admin shared, the invite cannot be accepted.
      await person.sidebar.getByRole('button', { name: 'Accept' }).click();
      await person.sidebar.locator('#error', { hasText: 'invite code' }).waitFor({ timeout: WAIT });
      await person.sidebar.getByLabel(/Invite code/).fill(codes[person.email].toLowerCase());
      await person.sidebar.getByRole('button', { name: 'Accept' }).click();
      await person.sidebar.locator('#notice', { hasText: 'You joined' }).waitFor({ timeout: WAIT });
      await person.sidebar.locator('#profile').selectOption(orgId);
      await person.sidebar.locator('#credits').waitFor({ timeout: WAIT });
      person.token = await signIn(relay, person.email);
      person.id = (await api(relay, 'GET', '/me', { token: person.token })).id;
    }

    before(async () => {
      relay = await startRelay();
      fixture = await startFixture();
    });
    after(async () => {
      for (const person of Object.values(people)) await person.browser.context.close().catch(() => {});
      fixture?.close();
      relay?.stop();
    });

    step('2. an admin hosts the number; an agent joins and sends through it', async () => {
      const email = `admin-${csp}@example.com`;
      const browser = await openBrowser(fixture, `admin-${csp}`);
      await setRelay(browser, relay);
      const { page, sidebar } = await openWhatsApp(browser, csp);
      people.admin = { email, browser, page, sidebar };
      await signUp(sidebar, { email, phone: '+44 7400 000010', type: 'organization', organization: `Acme ${csp}` });
      adminToken = await signIn(relay, email);
      orgId = (await api(relay, 'GET', '/orgs', { token: adminToken })).organizations[0].organization.id;
      await grant(relay, { organization_id: orgId }, 20);
      // Short gaps so the test does not wait the default 30-60 s between people.
      await api(relay, 'PATCH', `/orgs/${orgId}`, {
        token: adminToken, body: { pacing: { min_gap_seconds: 0, max_gap_seconds: 1 } },
      });

      await sidebar.locator('#profile').selectOption(orgId);
      await sidebar.locator('#credits', { hasText: '20' }).waitFor({ timeout: WAIT });
      await tab(sidebar, 'Host');
      await sidebar.locator('#hosting').selectOption(`org:${orgId}`);
      await sidebar.locator('#capture').check();
      await sidebar.locator('#host-status', { hasText: 'hosting' }).waitFor({ timeout: WAIT });
      await sidebar.locator('#host-status', { hasText: 'queue: 0 waiting, 0 with the host' }).waitFor({ timeout: WAIT });

      await tab(sidebar, 'Team');
      for (const name of ['agent1', 'agent2']) {
        await sidebar.locator('#invite-email').fill(`${name}-${csp}@example.com`);
        await sidebar.getByRole('button', { name: 'Invite' }).click();
        const email = `${name}-${csp}@example.com`;
        const notice = await sidebar.locator('#notice', { hasText: email }).innerText();
        codes[email] = notice.match(/[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/)[0];
        await sidebar.locator('.invites li', { hasText: email }).waitFor({ timeout: WAIT });
      }
      assert.match(await sidebar.locator('.invites').innerText(), /invite sent/);

      const agent1 = await join('agent1', '+44 7400 000011');
      await acceptAndSwitch(agent1);
      await send(agent1.sidebar, `+${CUSTOMER}`, 'Hello from the Acme team');
      await agent1.sidebar.locator('#sent li', { hasText: 'Hello from the Acme team' })
        .locator('.status', { hasText: /^(sent|delivered|read)$/ }).waitFor({ timeout: WAIT });

      const shown = await page.evaluate((d) => window.fixture.sent(d), CUSTOMER);
      assert.deepEqual(shown.map((m) => m.text), ['Hello from the Acme team']);
      assert.equal(await orgCredits(), 19, 'the organization pays');
      const own = await api(relay, 'GET', '/credits', { token: agent1.token });
      assert.equal(own.available, 0, "the agent's own credits are untouched");
    });

    step('3. a chat assigned to agent 1 turns agent 2\'s send into a comment', async () => {
      const { admin, agent1 } = people;
      const agent2 = await join('agent2', '+44 7400 000012');
      await acceptAndSwitch(agent2);

      await tab(admin.sidebar, 'Chat');
      await admin.sidebar.locator('#chat-number', { hasText: `+${CUSTOMER}` }).waitFor({ timeout: WAIT });
      await admin.sidebar.locator('#assignee').selectOption(agent1.id);
      await admin.sidebar.locator('#timeline li.line', { hasText: 'Assigned' }).waitFor({ timeout: WAIT });

      const before = await orgCredits();
      await send(agent2.sidebar, `+${CUSTOMER}`, 'Can I help you?');
      await agent2.sidebar.locator('#notice', { hasText: /assigned to/i }).waitFor({ timeout: WAIT });

      // Both sidebars show it as a comment: the admin's (chat open) live, and
      // agent 1's once the chat is open in their WhatsApp Web.
      await admin.sidebar.locator('#timeline li.comment', { hasText: 'Can I help you?' }).waitFor({ timeout: WAIT });
      await agent1.page.evaluate((d) => window.fixture.openChat(d), CUSTOMER);
      await tab(agent1.sidebar, 'Chat');
      await agent1.sidebar.locator('#timeline li.comment', { hasText: 'Can I help you?' }).waitFor({ timeout: WAIT });

      // The admin names the chat; agents' lists follow live.
      await admin.sidebar.locator('#chat-rename').fill('Ana Customer');
      await admin.sidebar.getByRole('button', { name: 'Rename' }).click();
      await tab(agent2.sidebar, 'Chat');
      await agent2.sidebar.locator('#chats li', { hasText: 'Ana Customer' }).waitFor({ timeout: WAIT });

      const shown = await admin.page.evaluate((d) => window.fixture.sent(d), CUSTOMER);
      assert.equal(shown.length, 1, 'nothing more went to WhatsApp');
      assert.equal(await orgCredits(), before, 'a comment costs nothing');
    });

    step('4. an incoming message is captured, shown live to agents and charged', async () => {
      const { admin, agent1, agent2 } = people;
      const before = await orgCredits();
      await tab(agent2.sidebar, 'Chat');
      await admin.page.evaluate((d) => window.fixture.receive(d, 'Is my order ready?'), CUSTOMER);
      for (const agent of [agent1, agent2]) {
        await agent.sidebar.locator('#chats li', { hasText: 'Is my order ready?' }).waitFor({ timeout: WAIT });
      }
      await agent1.sidebar.locator('#timeline li.message', { hasText: 'Is my order ready?' }).waitFor({ timeout: WAIT });
      assert.equal(await orgCredits(), before - 1, 'an incoming text costs one credit');
      const feed = await api(relay, 'GET', `/messages?organization_id=${orgId}&after=0`, { token: adminToken });
      const incoming = feed.messages.filter((m) => m.direction === 'incoming');
      assert.equal(incoming.length, 1, 'captured exactly once');
      assert.equal(incoming[0].text, 'Is my order ready?');
    });

    step('5. messages queued while the host is closed wait, then go out once each', async () => {
      const { admin, agent1 } = people;
      const hostDir = admin.browser.userDataDir;
      await admin.browser.context.close();
      await agent1.sidebar.locator('#host-state', { hasText: 'offline' }).waitFor({ timeout: WAIT });

      await send(agent1.sidebar, '+44 7400 000202', 'First while away');
      await send(agent1.sidebar, '+44 7400 000203', 'Second while away');
      for (const text of ['First while away', 'Second while away']) {
        await agent1.sidebar.locator('#sent li', { hasText: text })
          .locator('.status', { hasText: 'waiting for host' }).waitFor({ timeout: WAIT });
      }

      admin.browser = await openBrowser(fixture, `admin-${csp}-again`, hostDir);
      const reopened = await openWhatsApp(admin.browser, csp);
      admin.page = reopened.page;
      admin.sidebar = reopened.sidebar;
      for (const text of ['First while away', 'Second while away']) {
        await agent1.sidebar.locator('#sent li', { hasText: text })
          .locator('.status', { hasText: /^(sent|delivered|read)$/ }).waitFor({ timeout: WAIT });
      }
      // Let any duplicate show up before counting.
      await new Promise((done) => setTimeout(done, 2000));
      for (const digits of ['447400000202', '447400000203']) {
        const shown = await waitFor(
          async () => (await admin.page.evaluate((d) => window.fixture.sent(d), digits)),
          `the send to ${digits}`,
        );
        assert.equal(shown.length, 1, `exactly one message to ${digits}: ${JSON.stringify(shown)}`);
      }
      const feed = await api(relay, 'GET', `/messages?organization_id=${orgId}&after=0`, { token: adminToken });
      const away = feed.messages.filter((m) => m.text && m.text.endsWith('while away'));
      assert.equal(away.length, 2);
      assert.ok(away.every((m) => ['sent', 'delivered', 'read'].includes(m.status)), JSON.stringify(away));
    });
  });
}
