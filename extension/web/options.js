// Loads the Rust options page.
import init, { start_options } from './pkg/chorus_extension.js';

await init({ module_or_path: chrome.runtime.getURL('pkg/chorus_extension_bg.wasm') });
start_options();
