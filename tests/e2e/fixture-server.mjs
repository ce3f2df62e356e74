// Serves the WhatsApp Web stand-in over HTTPS with a throwaway self-signed
// certificate; Chromium maps web.whatsapp.com here (--host-resolver-rules).
// `?csp=permissive` relaxes the Content-Security-Policy; the default is
// strict, as WhatsApp Web's own: no inline script, no eval, no WebAssembly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIXTURE = new URL('../fixture/', import.meta.url);
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

export const POLICIES = {
  strict: "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'",
  permissive: "default-src * data: blob:; script-src * 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval'; style-src * 'unsafe-inline'",
};

function certificate() {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-fixture-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=web.whatsapp.com', '-addext', 'subjectAltName=DNS:web.whatsapp.com',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

export async function startFixture() {
  // Messages that reach the phone while no WhatsApp Web tab is open; the
  // next tab to open takes them.
  const pending = [];
  const server = createServer(certificate(), (request, response) => {
    const url = new URL(request.url, 'https://web.whatsapp.com');
    if (url.pathname === '/pending.json') {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      response.end(JSON.stringify(pending.splice(0)));
      return;
    }
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    let body;
    try {
      if (name.includes('..') || name.includes('/')) throw new Error('no');
      body = readFileSync(new URL(name, FIXTURE));
    } catch {
      response.writeHead(404).end();
      return;
    }
    const policy = POLICIES[url.searchParams.get('csp') || 'strict'] || POLICIES.strict;
    response.writeHead(200, {
      'Content-Type': TYPES[name.slice(name.lastIndexOf('.'))] || 'application/octet-stream',
      'Content-Security-Policy': policy,
      'Cache-Control': 'no-store',
    });
    response.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: () => server.close(),
    arrive: (digits, text, name) => { pending.push({ digits, text, name }); },
  };
}
