// Chorus page bridge (content script). It knows nothing of WhatsApp: it
// places the sidebar frame, and performs primitive DOM operations that the
// extension's Rust code asks for over a chrome.runtime port (selectors, what
// to click and what to read all come from Rust). Pages cannot see this port.
(() => {
  'use strict';
  if (globalThis.__chorusBridge) return;
  globalThis.__chorusBridge = true;
  // The protocol version: `BRIDGE_PROTOCOL` in extension/src/driver/bridge.rs.
  const PROTOCOL = 4;

  const nonce = crypto.randomUUID();
  const frame = document.createElement('iframe');
  frame.src = chrome.runtime.getURL('sidebar.html') + '#' + nonce;
  frame.setAttribute('data-chorus', 'sidebar');
  frame.title = 'Chorus';
  let width = 360;
  let narrowed = null; // { selectors, contain } chosen by Rust
  let placed = null; // the frame's style as last set (normalised by the browser)
  const place = () => {
    if (frame.style.cssText !== placed) {
      frame.style.cssText = 'position:fixed;top:0;right:0;height:100vh;border:0;margin:0;padding:0;' +
        'z-index:2147483647;background:#fff;box-shadow:-1px 0 0 #d1d7db;' + 'width:' + width + 'px';
      placed = frame.style.cssText;
    }
    if (!frame.isConnected) document.documentElement.appendChild(frame);
    if (narrowed) {
      const target = first(narrowed.selectors)[0];
      const value = 'calc(100% - ' + width + 'px)';
      if (target && target.style.width !== value) target.style.width = value;
      // Fixed-position wrappers inside follow the root, not the window.
      if (target && narrowed.contain && target.style.contain !== 'layout') target.style.contain = 'layout';
    }
  };

  const first = (selectors) => {
    for (let i = 0; i < selectors.length; i++) {
      const element = document.querySelector(selectors[i]);
      if (element) return [element, i];
    }
    return [null, -1];
  };
  const allOf = (selectors) => {
    for (const selector of selectors) {
      const found = document.querySelectorAll(selector);
      if (found.length) return [...found];
    }
    return [];
  };
  const textOf = (element) => (element.innerText ?? element.textContent ?? '').trim();
  // The first match inside `root`, in the order of `selectors`.
  const within = (root, selectors) => {
    for (const selector of selectors) {
      const found = root.querySelector(selector);
      if (found) return found;
    }
    return null;
  };
  // A name as a person reads it: the title attribute, else the text.
  const nameOf = (element) => element ? (element.getAttribute('title') || textOf(element)).trim() : null;
  const iconsOf = (root) => {
    const iconElements = [...root.querySelectorAll('[' + watch.icon_attribute + ']')];
    return {
      icons: iconElements.map((icon) => icon.getAttribute(watch.icon_attribute)),
      labels: iconElements
        .map((icon) => icon.getAttribute('aria-label') || (icon.parentElement && icon.parentElement.getAttribute('aria-label')))
        .filter(Boolean),
    };
  };

  // The last time the person at this browser typed or clicked, so sends
  // never interrupt them. Focus is not counted: WhatsApp Web moves it by
  // itself (into the compose box when a chat opens, after our operation
  // has returned), and a person who moves it clicks or presses a key.
  let lastInput = 0;
  // True while an operation runs: the input it causes is not the person's.
  let driving = false;
  for (const type of ['keydown', 'beforeinput', 'paste', 'mousedown', 'wheel']) {
    window.addEventListener(type, (event) => { if (event.isTrusted && !driving) lastInput = Date.now(); }, true);
  }

  let watch = null; // { rows, id_attribute, text, probes, header }
  let lastSnapshot = '';
  const snapshot = () => {
    const rows = allOf(watch.rows).map((row) => {
      let text = null;
      for (const selector of watch.text) {
        const found = row.querySelector(selector);
        if (found) { text = textOf(found); break; }
      }
      const probes = Object.keys(watch.probes).filter((name) =>
        watch.probes[name].some((selector) => row.matches(selector) || row.querySelector(selector)));
      const metaElement = row.querySelector('[' + watch.meta_attribute + ']');
      const fileName = within(row, watch.media_name || []);
      const fileSize = within(row, watch.media_size || []);
      const downloaded = within(row, watch.media_url || []);
      return {
        id: row.getAttribute(watch.id_attribute), text, probes, ...iconsOf(row),
        meta: metaElement ? metaElement.getAttribute(watch.meta_attribute) : null,
        media_name: fileName ? nameOf(fileName) : null,
        media_size: fileSize ? textOf(fileSize) : null,
        media_url: downloaded ? (downloaded.getAttribute('src') || downloaded.getAttribute('href')) : null,
      };
    });
    const list = watch.list;
    const chats = list ? allOf(list.rows).map((row) => {
      const badge = within(row, list.badge);
      const preview = within(row, list.preview);
      return {
        title: nameOf(within(row, list.title)),
        preview: preview ? nameOf(preview) : null,
        badge: badge ? ((badge.getAttribute('aria-label') || '') + ' ' + textOf(badge)).trim() : null,
        ...iconsOf(row),
      };
    }) : [];
    const header = first(watch.header)[0];
    return { rows, header: header ? textOf(header) : null, dark: first(watch.dark || [])[0] !== null, chats };
  };

  let port = null;
  const post = (message) => { try { port && port.postMessage(message); } catch (_) { /* reconnecting */ } };
  let pending = null;
  const changed = (records) => {
    // Our own writes (the frame, the narrowed root's width) are not news.
    if (records && records.every((r) => r.target === frame || (r.type === 'attributes' && r.attributeName === 'style'))) {
      if (!frame.isConnected || records.some((r) => r.target !== frame)) place();
      return;
    }
    place();
    if (!watch || pending) return;
    pending = setTimeout(() => {
      pending = null;
      const now = snapshot();
      const text = JSON.stringify(now);
      if (text !== lastSnapshot) { lastSnapshot = text; post({ event: 'rows', ...now }); }
    }, 150);
  };
  new MutationObserver(changed).observe(document.documentElement,
    { childList: true, subtree: true, attributes: true, characterData: true });

  const ops = {
    probe: ({ lists }) => lists.map((selectors) => first(selectors)[0] !== null),
    read: ({ selectors }) => {
      const [element, index] = first(selectors);
      return element ? { index, text: textOf(element) } : null;
    },
    click: ({ selectors, closest }) => {
      let [element] = first(selectors);
      if (!element) return false;
      if (closest) element = element.closest(closest) || element;
      element.click();
      return true;
    },
    paste: ({ selectors, text }) => {
      const [element] = first(selectors);
      if (!element) return false;
      element.focus();
      const data = new DataTransfer();
      data.setData('text/plain', text);
      element.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      return true;
    },
    attach: ({ selectors, name, mime, base64 }) => {
      const [input] = first(selectors);
      if (!input) return false;
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type: mime }));
      input.files = data.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return true;
    },
    follow_link: ({ href }) => {
      const link = document.createElement('a');
      link.href = href;
      link.style.display = 'none';
      document.body.appendChild(link);
      link.click();
      link.remove();
      return true;
    },
    click_named: ({ rows, name_selectors, name }) => {
      const row = allOf(rows).find((candidate) => nameOf(within(candidate, name_selectors)) === name);
      if (!row) return false;
      // WhatsApp Web opens a chat on the press of its row.
      for (const type of ['mousedown', 'mouseup', 'click']) {
        row.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, view: window }));
      }
      return true;
    },
    clear_text: ({ selectors }) => {
      const [element] = first(selectors);
      if (!element) return false;
      element.focus();
      window.getSelection().selectAllChildren(element);
      // Editors that keep their own state listen for this; plain ones
      // follow the selection.
      const handled = !element.dispatchEvent(new InputEvent('beforeinput',
        { inputType: 'deleteContentBackward', bubbles: true, cancelable: true }));
      if (!handled) document.execCommand('delete');
      return true;
    },
    read_blob: async ({ url, max_bytes }) => {
      if (!url.startsWith('blob:')) throw new Error('not a downloaded file: ' + url);
      const blob = await (await fetch(url)).blob();
      if (blob.size > max_bytes) return { mime: blob.type, size: blob.size, base64: null };
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let binary = '';
      for (let at = 0; at < bytes.length; at += 0x8000) {
        binary += String.fromCharCode.apply(null, bytes.subarray(at, at + 0x8000));
      }
      return { mime: blob.type, size: blob.size, base64: btoa(binary) };
    },
    idle: () => ({ ms: lastInput ? Date.now() - lastInput : 1e12, hidden: document.hidden }),
    watch: (config) => { watch = config; lastSnapshot = ''; changed(); return snapshot(); },
    layout: ({ selectors, sidebar_width, contain }) => {
      narrowed = { selectors, contain };
      width = sidebar_width;
      placed = null;
      place();
      return true;
    },
  };

  const connect = () => {
    try {
      port = chrome.runtime.connect({ name: 'bridge:' + nonce });
    } catch (_) {
      return; // the extension was reloaded or removed: this bridge is orphaned
    }
    port.onMessage.addListener(async (request) => {
      try {
        if (request.version !== PROTOCOL) {
          throw new Error('this tab runs Chorus page bridge version ' + PROTOCOL + ' but the extension speaks version ' +
            request.version + '; reload the WhatsApp Web tab');
        }
        if (!Object.hasOwn(ops, request.op)) throw new Error('unknown operation: ' + request.op);
        let running;
        driving = true;
        try { running = ops[request.op](request.args || {}); } finally { driving = false; }
        const ok = await running;
        post({ reply: request.id, ok: ok ?? null });
      } catch (error) {
        post({ reply: request.id, error: String(error && error.message || error) });
      }
    });
    port.onDisconnect.addListener(() => {
      port = null;
      lastSnapshot = '';
      setTimeout(connect, 1000);
    });
  };
  place();
  connect();
})();
