// Loads the Rust service worker. Chrome delivers the event that woke the worker
// only to listeners registered synchronously, so ports are queued here until
// the WebAssembly is ready and then handed to it.
import init, { start_worker } from './pkg/chorus_extension.js';

const early = [];
let deliver = (port) => early.push(port);
chrome.runtime.onConnect.addListener((port) => deliver(port));
// The toolbar button opens the options page, where the relay is set.
chrome.action.onClicked.addListener(() => chrome.runtime.openOptionsPage());
// A periodic alarm wakes a stopped worker so it reconnects to the relay.
chrome.alarms.onAlarm.addListener(() => {});
chrome.alarms.create('chorus-wake', { periodInMinutes: 1 });

init({ module_or_path: chrome.runtime.getURL('pkg/chorus_extension_bg.wasm') }).then(() => {
  const worker = start_worker();
  deliver = (port) => worker.accept(port);
  early.splice(0).forEach(deliver);
});
