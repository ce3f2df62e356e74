// Loads the Rust sidebar.
import init, { start_sidebar } from './pkg/chorus_extension.js';

await init({ module_or_path: chrome.runtime.getURL('pkg/chorus_extension_bg.wasm') });
start_sidebar();
