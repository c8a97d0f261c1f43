/// <reference types="vite/client" />
import type { StationApi } from '../../electron/contract/index.js';

declare global {
  interface Window {
    /** Set by the Electron preload or the browser-mode bridge before the renderer starts. */
    station?: StationApi;
  }
}
