// Electron main entry: the only main-process file that loads 'electron'. Everything it wires is a tested
// module taking Electron's objects by injection; this file only orders the steps.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, net, protocol, safeStorage, utilityProcess } from 'electron';
import { OneTimeDocuments } from '../core/station/printing/one-time-documents.js';
import { createStationBackend } from '../core/station/service.js';
import { ElectronPrinter, printersFrom } from './electron-printer.js';
import { HidHostClient } from './hid-client.js';
import { createSenderCheck, pushStationEvents, registerStationIpc } from './ipc-router.js';
import { APP_ENTRY_URL, APP_SCHEME, stationOrigins } from './origin.js';
import { createAppProtocolHandler } from './protocol.js';
import { SafeStorageSecretStore } from './secret-store.js';
import { offerUdevRuleInstall, spawnRunner, udevInstallApplies } from './udev-install.js';
import { ELEVATION_NOTE_FILE, explainElevationOnFirstStart } from './windows-elevation.js';
import { installSecurityGuards, stationWindowOptions } from './window.js';

// out/main/index.js sits beside out/main/hid-host.js, out/preload/index.cjs and out/renderer/.
const here = import.meta.dirname;
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const origins = stationOrigins(devServerUrl);

let stationWindow: BrowserWindow | undefined;

async function start(): Promise<void> {
  // Windows has no CUPS: there the app prints through Chromium, handing each PDF to its print page once.
  const printDocuments = process.platform === 'win32' ? new OneTimeDocuments() : undefined;
  protocol.handle(APP_SCHEME, createAppProtocolHandler(join(here, '../renderer'), readFile, { documents: printDocuments }));
  const printer = printDocuments
    ? new ElectronPrinter({
        documents: printDocuments,
        openWindow: (options) => new BrowserWindow(options),
        // Any webContents can list printers; the station window's lives as long as the app (a print window does not).
        listPrinters: printersFrom(() => stationWindow?.webContents),
      })
    : undefined;
  app.on('will-quit', () => printDocuments?.close());
  const usb = new HidHostClient({
    fork: () => utilityProcess.fork(join(here, 'hid-host.js'), [], { serviceName: 'keybench-hid', stdio: 'inherit' }),
  });
  usb.start();
  app.on('will-quit', () => usb.dispose());
  const secrets = new SafeStorageSecretStore({ safeStorage, filePath: join(app.getPath('userData'), 'secrets.json') });
  const station = await createStationBackend({
    dataDir: app.getPath('userData'),
    secretStore: secrets,
    usbBackend: usb,
    // Electron's fetch uses the system proxy and certificate store, which corporate benches need.
    fetch: (input: Parameters<typeof fetch>[0], init?: RequestInit) => net.fetch(input instanceof URL ? input.href : input, init),
    ...(printer ? { printer } : {}),
  });
  app.on('will-quit', () => void station.close());
  const backend = station.backend;

  const window = new BrowserWindow(stationWindowOptions(join(here, '../preload/index.cjs')));
  stationWindow = window;
  registerStationIpc(ipcMain, backend, createSenderCheck({ origins, isOurWindow: (sender) => sender.id === window.webContents.id }));
  pushStationEvents(backend, window.webContents);
  window.once('ready-to-show', () => window.show());
  await explainElevationOnFirstStart({
    platform: process.platform,
    markerPath: join(app.getPath('userData'), ELEVATION_NOTE_FILE),
    exists: existsSync,
    writeFile: (path, text) => writeFile(path, text),
    showMessage: (message) => dialog.showMessageBox({ ...message, buttons: [...message.buttons] }),
  });
  offerUdevRuleOnce(backend);
  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  await window.loadURL(devServerUrl ?? APP_ENTRY_URL);
}

/** An AppImage station that Linux refuses a key asks once per session to install keybench's udev rule. */
function offerUdevRuleOnce(backend: Awaited<ReturnType<typeof createStationBackend>>['backend']): void {
  const off = backend.onEvent((event) => {
    const failure = event.type === 'tile' ? event.tile.failure : undefined;
    if (!failure || !udevInstallApplies(process.platform, process.env['APPIMAGE'], failure.message)) return;
    off();
    void offerUdevRuleInstall(failure.message, {
      platform: process.platform,
      appImage: process.env['APPIMAGE'],
      ruleSource: join(process.resourcesPath, 'udev/70-keybench-kiosk.rules'),
      readFile: (path) => readFile(path, 'utf8'),
      exists: existsSync,
      run: spawnRunner(spawn),
      confirm: async (question) => (await dialog.showMessageBox({ type: 'question', ...question, buttons: ['Install', 'Not now'], defaultId: 0, cancelId: 1 })).response === 0,
    }).then((outcome) => {
      if (outcome.kind === 'installed' || outcome.kind === 'manual') void dialog.showMessageBox({ type: 'info', title: 'Security key access', message: outcome.advice });
    });
  });
}

// Two stations on one bench would fight over the same keys.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Both must happen before `ready`.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  installSecurityGuards(app, origins);
  app.on('window-all-closed', () => app.quit());
  app.whenReady().then(start).catch((error: unknown) => {
    dialog.showErrorBox('keybench could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
}
