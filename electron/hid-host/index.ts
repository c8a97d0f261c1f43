// HID host entry, forked by main with utilityProcess: node-hid lives here, so a native crash takes down
// only this process and main restarts it (see electron/main/hid-client.ts).
import { loadNodeHidBackend } from '../core/hid/node-hid.js';
import { HidHost } from './host.js';
import { parentPortOf } from './parent-port.js';

const port = parentPortOf(process);
if (!port) throw new Error('The HID host runs only as an Electron utility process (process.parentPort is missing).');
const host = new HidHost({ backend: await loadNodeHidBackend(), post: (message) => port.postMessage(message) });
port.onMessage((data) => void host.handle(data));
