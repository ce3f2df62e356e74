// The sidebar in the page and the driver's care, under each page policy:
// layout, re-renders, collapse, isolation of styles, warnings, invalid
// numbers, a person typing, oversized files, a restarted service worker, and
// a page bridge of another protocol version.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  EXTENSION, PASSWORD, ROOT, WAIT, api, evidenceStep, grant, keepEvidence, openBrowser, openWhatsApp, setRelay, signIn, signUp,
  send, startFixture, startRelay, tab, hostOwnNumber,
} from './harness.mjs';

/** Saves the sidebar as it looks now to docs/screenshots/ (the README shows them). */
async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.locator('iframe[data-chorus="sidebar"]').screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

const SCREENSHOTS = join(ROOT, 'docs/screenshots');
const appWidth = (page) => page.evaluate(() => document.getElementById('app').getBoundingClientRect().width);
const frameWidth = (page) => page.evaluate(() => document.querySelector('iframe[data-chorus="sidebar"]').getBoundingClientRect().width);

for (const csp of ['strict', 'permissive']) {
  describe(`the sidebar and the driver in the page (${csp} page policy)`, () => {
    let relay; let fixture; let browser; let page; let sidebar; let token;
    const email = `page-${csp}@example.com`;
    const step = evidenceStep(csp, () => [browser]);

    before(async () => {
      relay = await startRelay();
      fixture = await startFixture();
      browser = await openBrowser(fixture, `page-${csp}`);
      await setRelay(browser, relay);
      ({ page, sidebar } = await openWhatsApp(browser, csp));
      await signUp(sidebar, { email, phone: '+44 7400 000050', type: 'agent' });
      token = await signIn(relay, email);
      await grant(relay, { user_email: email }, 10);
      await hostOwnNumber(sidebar);
    });
    after(async () => {
      await browser?.context.close();
      fixture?.close();
      relay?.stop();
    });

    step('the page narrows for the sidebar, keeps it through re-renders, and widens when it collapses', async () => {
      assert.ok(await appWidth(page) <= 1280 - 350);
      await page.evaluate(() => window.fixture.rerender());
      await page.waitForFunction(() => document.getElementById('side') !== null);
      await page.waitForFunction(() => document.getElementById('app').style.width !== '');
      assert.ok(await appWidth(page) <= 1280 - 350, 'narrowed again after the re-render');
      await sidebar.locator('#credits').waitFor({ timeout: WAIT });

      await sidebar.getByRole('button', { name: 'Collapse the sidebar' }).click();
      await page.waitForFunction(() => document.querySelector('iframe[data-chorus="sidebar"]').getBoundingClientRect().width < 50);
      assert.ok(await appWidth(page) >= 1280 - 50, 'the page takes the room back');
      await sidebar.getByRole('button', { name: 'Expand the sidebar' }).click();
      await page.waitForFunction(() => document.querySelector('iframe[data-chorus="sidebar"]').getBoundingClientRect().width > 300);
      assert.ok(await frameWidth(page) > 300);
    });

    step('styles do not cross between the page and the sidebar', async () => {
      // The page's buttons keep the page's look; the sidebar's keep Chorus's.
      const pageButton = await page.evaluate(() => getComputedStyle(document.querySelector('#side, #app')).fontFamily);
      assert.doesNotMatch(pageButton, /^system-ui$/);
      const sidebarFont = await sidebar.locator('h1').evaluate((h1) => getComputedStyle(h1).color);
      assert.equal(sidebarFont, 'rgb(0, 128, 105)');
      const pageHasChorusStyles = await page.evaluate(() => [...document.styleSheets].some((sheet) => (sheet.href || '').includes('chorus')));
      assert.equal(pageHasChorusStyles, false);
    });

    step('a number that is not on WhatsApp fails with the reason, and costs nothing', async () => {
      await send(sidebar, '+44 7400 000404', 'Hello?');
      const status = sidebar.locator('#sent li', { hasText: 'Hello?' }).locator('.status');
      await status.filter({ hasText: 'failed' }).waitFor({ timeout: WAIT });
      assert.match(await status.innerText(), /not on WhatsApp/);
      await sidebar.locator('#credits', { hasText: '10' }).waitFor({ timeout: WAIT });
      // The popup was dismissed.
      await page.waitForFunction(() => !document.querySelector('[role="dialog"]'));
    });

    step('a send waits while the person at the host types, then leaves their draft where it was', async () => {
      await page.evaluate(() => window.fixture.openChat('447400000301'));
      const box = page.locator('#main footer [data-lexical-editor="true"]');
      await box.click();
      const typing = page.keyboard.type('Half-written reply', { delay: 250 });
      await new Promise((done) => setTimeout(done, 800));
      // Queued through the API: the sidebar would take the keyboard's focus.
      await api(relay, 'POST', '/messages', {
        token, body: { phone: '+44 7400 000302', text: 'Queued while typing', idempotency_key: `typing-${csp}` },
      });
      await new Promise((done) => setTimeout(done, 2000));
      assert.equal((await page.evaluate(() => window.fixture.sent('447400000302'))).length, 0, 'nothing sent while they type');
      await typing;
      await page.waitForFunction(() => window.fixture.sent('447400000302').length === 1, null, { timeout: WAIT });
      await page.waitForFunction(() => window.fixture.openJid() === '447400000301@c.us', null, { timeout: WAIT });
      assert.equal(await page.evaluate(() => window.fixture.draft()), 'Half-written reply', 'their draft is back');
      await box.click();
      for (let i = 0; i < 'Half-written reply'.length; i++) await page.keyboard.press('Backspace');
    });

    step('a file over 5 MB is refused before it is uploaded', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chorus-e2e-big-'));
      const path = join(dir, 'video.mp4');
      writeFileSync(path, Buffer.alloc(5 * 1024 * 1024 + 1, 1));
      await tab(sidebar, 'Files');
      await sidebar.locator('#upload').setInputFiles(path);
      await sidebar.locator('#error', { hasText: 'up to 5 MB' }).waitFor({ timeout: WAIT });
      const files = await api(relay, 'GET', '/files', { token });
      assert.equal(files.files.length, 0);
    });

    step('hosting warns when WhatsApp Web is logged out or its layout is not recognised', async () => {
      await tab(sidebar, 'Host');
      await page.evaluate(() => window.fixture.logOut());
      await sidebar.locator('#host-problem', { hasText: 'not logged in' }).waitFor({ timeout: WAIT });
      await page.evaluate(() => { window.fixture.logIn(); window.fixture.changeLayout(true); });
      await sidebar.locator('#host-problem', { hasText: 'layout not recognised: the search box' }).waitFor({ timeout: WAIT });
      await page.evaluate(() => window.fixture.changeLayout(false));
      await sidebar.locator('#host-problem').waitFor({ state: 'detached', timeout: WAIT });
    });

    step('after Chrome stops the service worker, hosting and live updates resume', async () => {
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await cdp.detach();
      await send(sidebar, '+44 7400 000302', 'After the restart');
      await sidebar.locator('#sent li', { hasText: 'After the restart' })
        .locator('.status', { hasText: /^(sent|delivered|read)$/ }).waitFor({ timeout: WAIT });
      assert.equal((await page.evaluate(() => window.fixture.sent('447400000302'))).length, 2);
    });

    step('after the relay restarts, the extension reconnects and sending works again', async () => {
      await relay.restart();
      await send(sidebar, '+44 7400 000302', 'After the relay restart');
      await sidebar.locator('#sent li', { hasText: 'After the relay restart' })
        .locator('.status', { hasText: /^(sent|delivered|read)$/ }).waitFor({ timeout: 2 * WAIT });
      await sidebar.locator('#connection').waitFor({ state: 'detached', timeout: WAIT });
    });

    step('signing out returns to the sign-in form; signing in brings the profile back', async () => {
      await sidebar.getByRole('button', { name: 'Sign out' }).click();
      await sidebar.locator('form[data-form="sign-in"]').waitFor({ timeout: WAIT });
      await sidebar.locator('#email').fill(email);
      await sidebar.locator('#password').fill('wrong password');
      await sidebar.getByRole('button', { name: 'Sign in' }).click();
      await sidebar.locator('#error').waitFor({ timeout: WAIT });
      await sidebar.locator('#password').fill(PASSWORD);
      await sidebar.getByRole('button', { name: 'Sign in' }).click();
      await sidebar.locator('#credits').waitFor({ timeout: WAIT });
    });

    step('the extension has icons and a toolbar button for its options', async () => {
      const options = await browser.context.newPage();
      await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
      const found = await options.evaluate(async () => {
        const manifest = chrome.runtime.getManifest();
        const sizes = Object.keys(manifest.icons);
        const images = await Promise.all(Object.values(manifest.icons).map(async (path) => {
          const response = await fetch(chrome.runtime.getURL(path));
          const bitmap = await createImageBitmap(await response.blob());
          return [bitmap.width, bitmap.height];
        }));
        return { sizes, images, action: manifest.action && manifest.action.default_icon };
      });
      assert.deepEqual(found.sizes, ['16', '32', '48', '128']);
      assert.deepEqual(found.images, [[16, 16], [32, 32], [48, 48], [128, 128]]);
      assert.ok(found.action, 'a toolbar button with an icon');
      await options.close();
    });

    step('the options page says when no relay answers at an address', async () => {
      const options = await browser.context.newPage();
      await options.goto(`chrome-extension://${browser.extensionId}/options.html`);
      await options.locator('#relay-url').fill('http://127.0.0.1:9');
      await options.getByRole('button', { name: 'Save' }).click();
      await options.locator('#error', { hasText: 'Cannot reach the relay' }).waitFor({ timeout: WAIT });
      // Sessions travel to the relay: plain http only to this computer.
      await options.locator('#relay-url').fill('http://relay.example.com:8080');
      await options.getByRole('button', { name: 'Save' }).click();
      await options.locator('#error', { hasText: 'Use https://' }).waitFor({ timeout: WAIT });
      await options.close();
    });
    step('contacts: add, search, select, send to the selection, bulk delete', async () => {
      await tab(sidebar, 'Contacts');
      for (const [phone, name, tags] of [['+44 7400 000401', 'Bea Baker', 'vip'], ['+44 7400 000402', 'Cid Cole', 'vip, late'], ['+44 7400 000403', 'Dee Dunn', '']]) {
        await sidebar.locator('#contact-phone').fill(phone);
        await sidebar.locator('#contact-name').fill(name);
        await sidebar.locator('#contact-tags').fill(tags);
        await sidebar.getByRole('button', { name: 'Add contact' }).click();
        await sidebar.locator('#contacts li', { hasText: name }).waitFor({ timeout: WAIT });
      }
      await sidebar.locator('#contacts-tag').fill('vip');
      await sidebar.getByRole('button', { name: 'Filter' }).click();
      await sidebar.locator('#contacts-total', { hasText: '2 contacts' }).waitFor({ timeout: WAIT });
      await sidebar.getByRole('button', { name: 'Select all' }).click();
      await sidebar.locator('#contacts-total', { hasText: '2 selected' }).waitFor({ timeout: WAIT });
      // Sending to the selection is a campaign, previewed before it starts.
      await sidebar.locator('#bulk-text').fill('VIP offer for {{first_name|you}}');
      await sidebar.getByRole('button', { name: 'Send to selected' }).click();
      await sidebar.locator('#draft-summary', { hasText: 'Will send to 2 of 2 · 0 skipped · needs 2 credits' }).waitFor({ timeout: WAIT });
      await sidebar.locator('#draft-recipients li', { hasText: 'VIP offer for Bea' }).waitFor({ timeout: WAIT });
      await sidebar.getByRole('button', { name: 'Start campaign' }).click();
      await sidebar.locator('#notice', { hasText: 'Started' }).waitFor({ timeout: WAIT });
      await sidebar.locator('#campaigns li', { hasText: '2 contacts' }).waitFor({ timeout: WAIT });
      const { campaigns } = await api(relay, 'GET', '/campaigns', { token });
      const { recipients } = await api(relay, 'GET', `/campaigns/${campaigns[0].id}/recipients`, { token });
      assert.deepEqual(recipients.map((r) => [r.phone, r.text]).sort(), [
        ['+447400000401', 'VIP offer for Bea'], ['+447400000402', 'VIP offer for Cid'],
      ]);

      await tab(sidebar, 'Contacts');
      await sidebar.getByRole('button', { name: 'Select all' }).click();
      await sidebar.locator('#contacts-total', { hasText: '2 selected' }).waitFor({ timeout: WAIT });
      await sidebar.getByRole('button', { name: 'Delete selected' }).click();
      await sidebar.locator('#notice', { hasText: 'Deleted 2 contacts' }).waitFor({ timeout: WAIT });
      const left = await api(relay, 'GET', '/contacts', { token });
      assert.deepEqual(left.contacts.map((c) => c.name).filter(Boolean).sort(), ['Dee Dunn']);
    });

    if (csp === 'strict') {
      step('screenshots of the main screens, for the README', async () => {
        await hostOwnNumber(sidebar);
        await sidebar.locator('#host-state', { hasText: 'host online' }).waitFor({ timeout: WAIT });
        for (const name of ['Chat', 'Send', 'Contacts', 'Host']) {
          await tab(sidebar, name);
          await sidebar.getByRole('tab', { name, exact: true }).and(sidebar.locator('[aria-selected="true"]')).waitFor({ timeout: WAIT });
          await new Promise((done) => setTimeout(done, 300));
          await screenshot(page, `sidebar-${name.toLowerCase()}`);
        }
        // The steps after this one type in the sidebar: no sends in the page meanwhile.
        await tab(sidebar, 'Host');
        await sidebar.locator('#hosting').selectOption('');
        await sidebar.locator('#host-status').waitFor({ state: 'detached', timeout: WAIT });
      });
    }

    step("the sidebar follows WhatsApp Web's dark theme, and back", async () => {
      const frame = page.frames().find((f) => f.url().includes('sidebar.html'));
      const look = () => frame.evaluate(() => ({
        dark: document.documentElement.classList.contains('dark'),
        background: getComputedStyle(document.body).backgroundColor,
      }));
      await page.evaluate(() => window.fixture.setTheme(true));
      await frame.waitForFunction(() => document.documentElement.classList.contains('dark'), null, { timeout: WAIT });
      assert.deepEqual(await look(), { dark: true, background: 'rgb(17, 27, 33)' });
      if (csp === 'strict') {
        await tab(sidebar, 'Send');
        await screenshot(page, 'sidebar-dark');
      }
      await page.evaluate(() => window.fixture.setTheme(false));
      await frame.waitForFunction(() => document.documentElement.classList.contains('light'), null, { timeout: WAIT });
      assert.deepEqual(await look(), { dark: false, background: 'rgb(255, 255, 255)' });
    });

    step('live updates leave the text being typed, its caret and its focus alone', async () => {
      await tab(sidebar, 'Send');
      const box = sidebar.locator('#send-text');
      await box.click();
      await box.pressSequentially('A reply I am still writing');
      await box.evaluate((area) => area.setSelectionRange(2, 7));
      const before = Number(await sidebar.locator('#credits').innerText());
      for (const amount of [3, 4]) await grant(relay, { user_email: email }, amount);
      await sidebar.locator('#credits', { hasText: String(before + 7) }).waitFor({ timeout: WAIT });
      await api(relay, 'POST', '/contacts', { token, body: { phone: '+44 7400 000409', name: 'Live Update' } });
      await new Promise((done) => setTimeout(done, 500));
      const after = await box.evaluate((area) => ({
        value: area.value, start: area.selectionStart, end: area.selectionEnd, focused: document.activeElement === area,
      }));
      assert.deepEqual(after, { value: 'A reply I am still writing', start: 2, end: 7, focused: true });
      // Ctrl+Enter sends from the box (here without a number, so it says so).
      await box.press('Control+Enter');
      await sidebar.locator('#error', { hasText: 'Enter the number to send to' }).waitFor({ timeout: WAIT });
      await box.fill('');
    });

    step('names, messages and file names show as typed and never run', async () => {
      const hostile = ['<img src=x onerror="window.__chorusXss=1">', '"><script>window.__chorusXss=2</script>'];
      await tab(sidebar, 'Contacts');
      await sidebar.locator('#contact-phone').fill('+44 7400 000410');
      await sidebar.locator('#contact-name').fill(hostile[0] + hostile[1]);
      await sidebar.getByRole('button', { name: 'Add contact' }).click();
      await sidebar.locator('#contacts li', { hasText: hostile[0] + hostile[1] }).waitFor({ timeout: WAIT });

      await send(sidebar, '+44 7400 000411', hostile[1] + ' ' + hostile[0]);
      await sidebar.locator('#sent li', { hasText: hostile[1] + ' ' + hostile[0] }).waitFor({ timeout: WAIT });

      await tab(sidebar, 'Files');
      const fileName = '<img src=x onerror=window.__chorusXss=3>.pdf';
      await sidebar.locator('#upload').setInputFiles({ name: fileName, mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
      await sidebar.locator('#files li', { hasText: fileName }).waitFor({ timeout: WAIT });

      const frame = page.frames().find((f) => f.url().includes('sidebar.html'));
      const found = await frame.evaluate(() => ({
        ran: window.__chorusXss ?? null,
        injected: document.querySelectorAll('#root img, #root script').length,
      }));
      assert.deepEqual(found, { ran: null, injected: 0 });
    });
  });
}

describe('a WhatsApp Web tab whose page bridge speaks another protocol version', () => {
  let fixture; let browser;
  after(async () => {
    await browser?.context.close();
    fixture?.close();
  });

  it('is refused, and the sidebar says to reload the tab', async (t) => {
    // An extension whose bridge is one version behind its Rust code, as a tab
    // left open across an update would be.
    const outdated = mkdtempSync(join(tmpdir(), 'chorus-outdated-'));
    cpSync(EXTENSION, outdated, { recursive: true });
    const bridge = join(outdated, 'bridge.js');
    const source = readFileSync(bridge, 'utf8');
    assert.match(source, /const PROTOCOL = \d+;/);
    writeFileSync(bridge, source.replace(/const PROTOCOL = \d+;/, 'const PROTOCOL = 0;'));
    fixture = await startFixture();
    browser = await openBrowser(fixture, 'outdated-bridge', undefined, outdated);
    try {
      const { sidebar } = await openWhatsApp(browser, 'strict');
      await sidebar.locator('#tab-problem', { hasText: 'reload the WhatsApp Web tab' }).waitFor({ timeout: WAIT });
      assert.equal(await sidebar.locator('#tab-problem').getAttribute('role'), 'alert');
    } catch (error) {
      const where = await keepEvidence(`outdated-bridge-${t.name}`, [browser]);
      error.message += `\n(screenshots and console in ${where})`;
      throw error;
    }
  });
});
