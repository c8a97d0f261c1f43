// Electron main entry: the only main-process file that loads 'electron'. Everything it wires is a tested
// module taking Electron's objects by injection; this file only orders the steps.
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, net, protocol, safeStorage, utilityProcess } from 'electron';
import { createStationBackend } from '../core/station/service.js';
import { HidHostClient } from './hid-client.js';
import { createSenderCheck, pushStationEvents, registerStationIpc } from './ipc-router.js';
import { APP_ENTRY_URL, APP_SCHEME, stationOrigins } from './origin.js';
import { createAppProtocolHandler } from './protocol.js';
import { SafeStorageSecretStore } from './secret-store.js';
import { installSecurityGuards, stationWindowOptions } from './window.js';

// out/main/index.js sits beside out/main/hid-host.js, out/preload/index.cjs and out/renderer/.
const here = import.meta.dirname;
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const origins = stationOrigins(devServerUrl);

async function start(): Promise<void> {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(join(here, '../renderer')));
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
  });
  app.on('will-quit', () => void station.close());
  const backend = station.backend;

  const window = new BrowserWindow(stationWindowOptions(join(here, '../preload/index.cjs')));
  registerStationIpc(ipcMain, backend, createSenderCheck({ origins, isOurWindow: (sender) => sender.id === window.webContents.id }));
  pushStationEvents(backend, window.webContents);
  window.once('ready-to-show', () => window.show());
  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  await window.loadURL(devServerUrl ?? APP_ENTRY_URL);
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
