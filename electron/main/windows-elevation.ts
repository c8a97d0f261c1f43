// Windows starts keybench elevated (requestedExecutionLevel: requireAdministrator), because since Windows 10
// 1903 only elevated processes may talk to FIDO security keys over raw HID (electron-anchors.md §2.1). The UAC
// prompt at every start surprises technicians, so the first start says why, once per user.

export const ELEVATION_NOTE_FILE = 'windows-elevation-explained';

export interface ElevationNoteDeps {
  readonly platform: NodeJS.Platform;
  /** Path of the marker file in userData that records the explanation was shown. */
  readonly markerPath: string;
  exists(path: string): boolean;
  writeFile(path: string, text: string): Promise<void>;
  showMessage(message: { readonly type: 'info'; readonly title: string; readonly message: string; readonly detail: string; readonly buttons: readonly string[] }): Promise<unknown>;
}

export const ELEVATION_NOTE = {
  type: 'info',
  title: 'keybench runs as administrator',
  message: 'Windows asks for administrator rights each time keybench starts.',
  detail:
    'Since Windows 10 version 1903, only apps running as administrator may talk to FIDO security keys directly, ' +
    'and programming a key (PIN, reset, credentials) needs that. keybench uses the rights for the keys on this bench only. ' +
    'If Windows does not ask, or you answer No, keybench cannot open any key.',
  buttons: ['OK'],
} as const;

/** Shows the explanation on the first start on Windows; resolves true when it was shown now. */
export async function explainElevationOnFirstStart(deps: ElevationNoteDeps): Promise<boolean> {
  if (deps.platform !== 'win32' || deps.exists(deps.markerPath)) return false;
  await deps.showMessage(ELEVATION_NOTE);
  await deps.writeFile(deps.markerPath, `${new Date().toISOString()}\n`);
  return true;
}
