// What every browser test needs: a real relay on SQLite, the fixture page,
// Chromium profiles with the built extension loaded, and the sidebar of a
// page. On failure, `keepEvidence` saves each page's screenshot and console.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { it } from 'node:test';

import { chromium } from 'playwright-core';

import { startFixture } from './fixture-server.mjs';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const EXTENSION = process.env.CHORUS_EXTENSION_DIR || join(ROOT, 'target/dist/extension');
const RELAY = process.env.CHORUS_RELAY_BIN || join(ROOT, 'target/debug/chorus-relay');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'target/e2e-artifacts');
export const ADMIN_TOKEN = 'e2e-admin-token';
/// Generous: the host paces sends and the relay pushes over WebSockets.
export const WAIT = 20_000;

async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/** Starts `chorus-relay serve` on a fresh SQLite database; `restart()`
 * stops it (SIGTERM) and starts it again on the same port and data. */
export async function startRelay() {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'chorus-e2e-relay-'));
  const url = `http://127.0.0.1:${port}`;
  let child;
  const start = async () => {
    child = spawn(RELAY, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], {
      env: { ...process.env, CHORUS_ADMIN_TOKEN: ADMIN_TOKEN, RUST_LOG: process.env.RUST_LOG || 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) return;
      } catch { /* not up yet */ }
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error(`the relay did not start on ${url}`);
  };
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url,
    stop: () => { stop(); },
    restart: async () => { await stop(); await start(); },
  };
}

/**
 * A TCP proxy in front of the relay, so one browser's connection can be cut
 * (every socket dropped, new ones refused) and restored while the relay and
 * everyone else carry on: `{ url, cut(), restore() }`.
 */
export async function startProxy(relay) {
  const target = new URL(relay.url);
  let open = true;
  const sockets = new Set();
  const server = createServer((client) => {
    if (!open) { client.destroy(); return; }
    const upstream = connect(Number(target.port), target.hostname);
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      sockets.add(a);
      a.on('close', () => { sockets.delete(a); b.destroy(); });
      a.on('error', () => b.destroy());
      a.pipe(b);
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut: () => { open = false; for (const socket of sockets) socket.destroy(); },
    restore: () => { open = true; },
    close: () => { open = false; for (const socket of sockets) socket.destroy(); server.close(); },
  };
}

/** Waits until `check()` answers something truthy (and returns it). */
export async function waitFor(check, what, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

/** Calls the relay's API directly, to set up and to check its records. */
export async function api(relay, method, path, { token, body } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${relay.url}/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return json;
}

export async function signIn(relay, email) {
  return (await api(relay, 'POST', '/auth/signin', { body: { email, password: PASSWORD } })).token;
}

export const PASSWORD = 'correct horse battery staple';

export async function grant(relay, target, amount) {
  await api(relay, 'POST', '/admin/credits', {
    token: ADMIN_TOKEN,
    body: { ...target, amount, plan: 'volume' },
  });
}

/** The fixture server, once per test file. */
export { startFixture };

/** A Chromium profile with the extension loaded; reopen with the same dir. */
export async function openBrowser(fixture, name, userDataDir = mkdtempSync(join(tmpdir(), `chorus-e2e-${name}-`)),
  extension = EXTENSION) {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: ['--disable-extensions'],
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--disable-extensions-except=${extension}`, `--load-extension=${extension}`,
      `--host-resolver-rules=MAP web.whatsapp.com 127.0.0.1:${fixture.port}`,
      '--ignore-certificate-errors',
    ],
  });
  const browser = { name, context, userDataDir, console: [] };
  const record = (source) => (message) => browser.console.push(`[${source}] ${message.type()}: ${message.text()}`);
  context.on('page', (page) => page.on('console', record(page.url())));
  for (const page of context.pages()) page.on('console', record('page'));
  // Every service worker, including one Chrome starts again after stopping it.
  context.on('serviceworker', (started) => started.on('console', record('worker')));
  let worker = context.serviceWorkers()[0];
  if (!worker) worker = await context.waitForEvent('serviceworker', { timeout: WAIT });
  else worker.on('console', record('worker'));
  browser.extensionId = new URL(worker.url()).host;
  return browser;
}

/** Points the extension at the relay through its options page. */
export async function setRelay(browser, relay) {
  const page = await browser.context.newPage();
  await page.goto(`chrome-extension://${browser.extensionId}/options.html`);
  await page.locator('#relay-url').fill(relay.url);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#saved').waitFor({ timeout: WAIT });
  await page.close();
}

/** Opens WhatsApp Web (the fixture, imitating a DOM `generation`, in the
 * user's `locale`: `gb` or `us`) and returns the page and its sidebar. */
export async function openWhatsApp(browser, csp, generation = 'current', locale = 'gb') {
  const page = browser.context.pages().find((p) => p.url().startsWith('https://web.whatsapp.com'))
    || await browser.context.newPage();
  page.on('console', (message) => browser.console.push(`[whatsapp] ${message.type()}: ${message.text()}`));
  await page.goto(`https://web.whatsapp.com/?csp=${csp}&gen=${generation}&locale=${locale}`);
  const sidebar = page.frameLocator('iframe[data-chorus="sidebar"]');
  await sidebar.locator('h1').waitFor({ timeout: WAIT });
  return { page, sidebar };
}

/** Signs up through the sidebar and finishes first-use set-up. */
export async function signUp(sidebar, { email, phone, type, organization }) {
  await sidebar.locator('#email').fill(email);
  await sidebar.locator('#password').fill(PASSWORD);
  await sidebar.getByRole('button', { name: 'Create account' }).click();
  await sidebar.locator('#phone').waitFor({ timeout: WAIT });
  await sidebar.locator('#phone').fill(phone);
  await sidebar.locator('#account-type').selectOption(type);
  if (organization) {
    await sidebar.locator('#org-name').fill(organization);
    await sidebar.locator('#org-country').fill('GB');
  }
  await sidebar.getByRole('button', { name: 'Continue' }).click();
  await sidebar.locator('#credits').waitFor({ timeout: WAIT });
}

/** Sends a text to a number from the sidebar's Send tab. */
export async function send(sidebar, phone, text) {
  await tab(sidebar, 'Send');
  await sidebar.locator('#send-phone').fill(phone);
  await sidebar.locator('#send-text').fill(text);
  await sidebar.locator('form[data-form="send"] button[type=submit]').click();
}

/** Makes this browser host the user's own number, and waits until it does. */
export async function hostOwnNumber(sidebar) {
  await tab(sidebar, 'Host');
  await sidebar.locator('#hosting').selectOption('you');
  await sidebar.locator('#host-status', { hasText: 'hosting' }).waitFor({ timeout: WAIT });
}

/**
 * A new organization whose admin's browser hosts its number with capture on:
 * `{ browser, page, sidebar, orgId, adminToken }`. `credits` are granted,
 * sends are paced at 0-1 s, and `capture` options are applied (an idle time
 * in seconds, or a dedicated host).
 */
export async function hostOrganization(fixture, relay, { name, email, phone, csp, credits = 200, idle, dedicated }) {
  const browser = await openBrowser(fixture, name);
  await setRelay(browser, relay);
  const { page, sidebar } = await openWhatsApp(browser, csp);
  await signUp(sidebar, { email, phone, type: 'organization', organization: name });
  const adminToken = await signIn(relay, email);
  const orgId = (await api(relay, 'GET', '/orgs', { token: adminToken })).organizations[0].organization.id;
  await grant(relay, { organization_id: orgId }, credits);
  await api(relay, 'PATCH', `/orgs/${orgId}`, {
    token: adminToken, body: { pacing: { min_gap_seconds: 0, max_gap_seconds: 1 } },
  });
  await sidebar.locator('#profile').selectOption(orgId);
  await tab(sidebar, 'Host');
  await sidebar.locator('#hosting').selectOption(`org:${orgId}`);
  await sidebar.locator('#capture').check();
  if (idle) await sidebar.locator('#capture-idle').selectOption(String(idle));
  if (dedicated) await sidebar.locator('#dedicated-host').check();
  await sidebar.locator('#host-status', { hasText: 'hosting' }).waitFor({ timeout: WAIT });
  return { browser, page, sidebar, orgId, adminToken };
}

export async function tab(sidebar, name) {
  await sidebar.getByRole('tab', { name, exact: true }).click();
}

/**
 * A test step that, when it fails, keeps screenshots and consoles of the
 * browsers `browsers()` returns, named after `label` and the step.
 */
export function evidenceStep(label, browsers) {
  return (name, body) => it(name, async (t) => {
    try {
      await body();
    } catch (error) {
      const where = await keepEvidence(`${label}-${t.name}`, browsers());
      error.message += `\n(screenshots and console in ${where})`;
      throw error;
    }
  });
}

/** Saves screenshots and console logs of `browsers` under target/e2e-artifacts. */
export async function keepEvidence(testName, browsers) {
  const dir = join(ARTIFACTS, testName.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(dir, { recursive: true });
  for (const browser of browsers) {
    if (!browser) continue;
    writeFileSync(join(dir, `${browser.name}-console.txt`), browser.console.join('\n'));
    let i = 0;
    for (const page of browser.context.pages()) {
      const n = i++;
      try {
        await page.screenshot({ path: join(dir, `${browser.name}-${n}.png`), timeout: 5000 });
      } catch (error) { browser.console.push(`screenshot failed: ${error.message}`); }
      for (const [j, frame] of page.frames().entries()) {
        try {
          writeFileSync(join(dir, `${browser.name}-${n}-frame${j}.html`), await frame.content());
        } catch { /* detached */ }
      }
    }
    writeFileSync(join(dir, `${browser.name}-console.txt`), browser.console.join('\n'));
  }
  return dir;
}
