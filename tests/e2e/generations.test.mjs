// The driver against the other WhatsApp Web DOM generations the notes
// describe (the other browser tests use the current one): an older build
// (plain compose box, `clip` attach, unlabelled `send` icons, a caption box
// known by its title) and a newer one (read told from delivered only by the
// tick's label, a caption box known by its test id, a fixed-position app
// wrapper). Each: room for the sidebar, a text past a draft left in the open
// chat, ticks followed to "read", a photo with its caption, a voice note and
// a photo captured with their bytes and WhatsApp's time (the newer build in
// a US locale), and a send that waits while the person types in the sidebar.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  WAIT, api, waitFor, evidenceStep, grant, openBrowser, openWhatsApp, send, setRelay, signIn, signUp, startFixture, startRelay,
  tab, hostOwnNumber,
} from './harness.mjs';

// A 1×1 PNG, so the relay's content check sees a real image.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

for (const [generation, digits] of [['older', '447400000610'], ['newer', '447400000620']]) {
  describe(`the driver against the ${generation} WhatsApp Web generation`, () => {
    let relay; let fixture; let browser; let page; let sidebar; let token;
    const step = evidenceStep(generation, () => [browser]);

    before(async () => {
      relay = await startRelay();
      fixture = await startFixture();
      browser = await openBrowser(fixture, `generation-${generation}`);
      await setRelay(browser, relay);
      // The newer build is read in a US locale (12-hour times, month first).
      ({ page, sidebar } = await openWhatsApp(browser, 'strict', generation, generation === 'newer' ? 'us' : 'gb'));
      const email = `generation-${generation}@example.com`;
      await signUp(sidebar, { email, phone: `+${digits}`, type: 'agent' });
      await grant(relay, { user_email: email }, 30);
      token = await signIn(relay, email);
      await hostOwnNumber(sidebar);
    });
    after(async () => {
      await browser?.context.close();
      fixture?.close();
      relay?.stop();
    });

    step('no part of the open conversation lies under the sidebar', async () => {
      await page.evaluate(() => window.fixture.openChat('447400000301'));
      await page.locator('#main').waitFor({ timeout: WAIT });
      const room = await page.evaluate(() => ({
        main: document.getElementById('main').getBoundingClientRect().right,
        sidebar: document.querySelector('iframe[data-chorus="sidebar"]').getBoundingClientRect().left,
      }));
      assert.ok(room.main <= room.sidebar + 1, JSON.stringify(room));
    });

    step('a text goes out past a draft left in the open chat, and the draft stays', async () => {
      await page.locator('#main footer [contenteditable="true"]').click();
      await page.keyboard.type('Draft left here');
      await send(sidebar, '+44 7400 000602', 'Hello from Chorus');
      await sidebar.locator('#sent li', { hasText: 'Hello from Chorus' }).locator('.status', { hasText: /^(sent|delivered|read)$/ })
        .waitFor({ timeout: 2 * WAIT });
      const sent = await page.evaluate(() => window.fixture.sent('447400000602'));
      assert.deepEqual(sent.map((m) => m.text), ['Hello from Chorus']);
      await page.waitForFunction(() => window.fixture.openJid() === '447400000301@c.us', null, { timeout: WAIT });
      assert.equal(await page.evaluate(() => window.fixture.draft('447400000301')), 'Draft left here');
    });

    step('ticks are followed to read in the chat on screen', async () => {
      await page.evaluate(() => window.fixture.openChat('447400000602'));
      await page.waitForFunction(() => window.fixture.openJid() === '447400000602@c.us', null, { timeout: WAIT });
      await send(sidebar, '+44 7400 000602', 'Read me');
      await sidebar.locator('#sent li', { hasText: 'Read me' }).locator('.status', { hasText: /^read$/ })
        .waitFor({ timeout: 2 * WAIT });
    });

    step('a photo goes out with its caption', async () => {
      await tab(sidebar, 'Files');
      await sidebar.locator('#upload').setInputFiles({ name: 'shop.png', mimeType: 'image/png', buffer: PNG });
      await sidebar.locator('#files li', { hasText: 'shop.png' }).getByRole('button', { name: 'Send shop.png' }).click();
      await sidebar.locator('#send-phone').fill('+44 7400 000602');
      await sidebar.locator('#send-text').fill('Our shop');
      await sidebar.locator('form[data-form="send"] button[type=submit]').click();
      await sidebar.locator('#sent li', { hasText: 'shop.png' }).locator('.status', { hasText: /^(sent|delivered|read)$/ })
        .waitFor({ timeout: 2 * WAIT });
      const sent = await page.evaluate(() => window.fixture.sent('447400000602'));
      const photo = sent.filter((m) => m.kind === 'image');
      assert.equal(photo.length, 1, JSON.stringify(sent));
      assert.equal(photo[0].fileName, 'shop.png');
      assert.equal(photo[0].text, 'Our shop');
    });

    step('a customer writing into another chat is captured from this generation\'s chat list', async () => {
      await tab(sidebar, 'Host');
      await sidebar.locator('#capture').check();
      await sidebar.locator('#host-status', { hasText: 'hosting' }).waitFor({ timeout: WAIT });
      await sidebar.locator('#capture-idle').selectOption('5');
      await sidebar.locator('#host-status', { hasText: 'hosting' }).waitFor({ timeout: WAIT });
      const before = await page.evaluate(() => window.fixture.openJid());
      const other = '447400000699';
      await page.evaluate((d) => window.fixture.receive(d, 'Written elsewhere'), other);
      const captured = await waitFor(async () => {
        const feed = await api(relay, 'GET', '/messages?after=0&limit=500', { token });
        const mine = feed.messages.filter((m) => m.direction === 'incoming' && m.chat_wa_id === `${other}@c.us`);
        return mine.length ? mine : null;
      }, 'the capture', 3 * WAIT);
      assert.deepEqual(captured.map((m) => m.text), ['Written elsewhere']);
      await page.waitForFunction((jid) => window.fixture.openJid() === jid, before, { timeout: WAIT });
    });

    step('a voice note and a downloaded photo are captured with their bytes and WhatsApp\'s time', async () => {
      const other = '447400000698';
      const started = Date.now();
      await page.evaluate((d) => window.fixture.receiveFile(d, 'audio', null, 9000, '', true), other);
      await page.evaluate((d) => window.fixture.receiveFile(d, 'image', 'x.png', 68, 'A photo', true), other);
      const captured = await waitFor(async () => {
        const feed = await api(relay, 'GET', '/messages?after=0&limit=500', { token });
        const mine = feed.messages.filter((m) => m.direction === 'incoming' && m.chat_wa_id === `${other}@c.us`);
        return mine.filter((m) => m.attachment).length === 2 ? mine : null;
      }, 'the files with their bytes', 3 * WAIT);
      assert.deepEqual(captured.map((m) => m.kind).sort(), ['audio', 'image']);
      assert.equal(captured.find((m) => m.kind === 'audio').media.size, '0:07');
      // The captioned photo's row carries the meta with its time (a voice
      // note has no text, and no meta).
      const photo = captured.find((m) => m.kind === 'image');
      assert.ok(Math.abs(Date.parse(photo.wa_time) - started) < 2 * 60_000, `${photo.wa_time} is about now`);
    });

    step('a hosted send waits while the person types in the sidebar', async () => {
      await tab(sidebar, 'Send');
      const box = sidebar.locator('#send-text');
      await box.click();
      const typing = box.pressSequentially('Typing in the sidebar', { delay: 250 });
      await new Promise((done) => setTimeout(done, 500));
      await api(relay, 'POST', '/messages', {
        token, body: { phone: '+44 7400 000602', text: 'While you type', idempotency_key: `sidebar-typing-${generation}` },
      });
      await new Promise((done) => setTimeout(done, 2500));
      const early = await page.evaluate(() => window.fixture.sent('447400000602').map((m) => m.text));
      assert.ok(!early.includes('While you type'), 'nothing sent while they type in the sidebar');
      await typing;
      await page.waitForFunction(() => window.fixture.sent('447400000602').some((m) => m.text === 'While you type'),
        null, { timeout: WAIT });
      assert.equal(await box.inputValue(), 'Typing in the sidebar');
    });
  });
}
