// Preload entry (bundled to one CJS file: a sandboxed preload can only require 'electron').
import { contextBridge, ipcRenderer } from 'electron';
import { exposeStationApi } from './station-api.js';

exposeStationApi(contextBridge, ipcRenderer);
