// Starts the bench on whatever `window.station` the host provided (Electron preload or the browser-mode
// bridge). Without one, `?fake` loads the fake station for development; otherwise the page says how to
// connect.
import './app.css';
import { mount } from 'svelte';
import type { StationApi } from '../../electron/contract/index.js';
import App from './App.svelte';
import NoStation from './components/NoStation.svelte';

/** Browser mode: the page came from `keybench serve`, whose link carries the session secret. */
async function connectToBridge(): Promise<StationApi | undefined> {
  const { connectStation } = await import('./lib/bridge-client.js');
  const connection = connectStation();
  const first = await new Promise<string>((resolve) => {
    const off = connection.onConnection((state) => {
      if (state === 'connecting') return;
      queueMicrotask(() => off());
      resolve(state);
    });
  });
  if (first === 'connected') return connection;
  connection.close();
  return undefined;
}

async function findStation(): Promise<StationApi | undefined> {
  if (window.station) return window.station;
  if (new URLSearchParams(window.location.search).has('fake')) {
    const { createFakeStation } = await import('./fake-station.js');
    return createFakeStation({ animate: true, orders: 10_000 });
  }
  if (window.location.protocol === 'http:' || window.location.protocol === 'https:') return connectToBridge();
  return undefined;
}

const target = document.getElementById('app');
if (!target) throw new Error('index.html lost its #app element.');

const api = await findStation();
if (api) mount(App, { target, props: { api } });
else mount(NoStation, { target });
