// Why a FIDO key could not be opened, and the one fix a technician or an administrator can apply, per OS
// (ctap-anchors.md §5.1, §5.2; electron-anchors.md §2.1). Pure: platform and error text in, advice out.

/** The rule keybench ships for stations whose user has no logind seat (services, kiosks). */
export const FIDO_UDEV_RULE = 'KERNEL=="hidraw*", SUBSYSTEM=="hidraw", ENV{ID_FIDO_TOKEN}=="1", TAG+="uaccess", GROUP="plugdev", MODE="0660"';
export const FIDO_UDEV_RULES_FILE = 'build/udev/70-keybench-fido.rules';

export type OpenFailureKind = 'permission' | 'held-by-other-app' | 'gone' | 'other';

export interface OpenFailure {
  readonly kind: OpenFailureKind;
  /** What to do, in words for the person at the bench. */
  readonly advice: string;
}

const LINUX_PERMISSION = [
  'Linux denied access to the key.',
  'systemd grants FIDO keys only to the user of the active desktop session (udev "uaccess");',
  'a service account or a session without a seat gets no access.',
  `Install the rule keybench ships in ${FIDO_UDEV_RULES_FILE} as /etc/udev/rules.d/70-keybench-fido.rules:`,
  FIDO_UDEV_RULE,
  'then run `sudo udevadm control --reload && sudo udevadm trigger`, add the station user to the plugdev group, and replug the key.',
].join(' ');

const WINDOWS_ADMIN =
  'Windows denied access to the key. FIDO keys need keybench to run as Administrator on Windows 10 1903 and later: ' +
  'close keybench and start it with "Run as administrator".';

const MAC_EXCLUSIVE = 'Another app (a browser?) holds the key; close it, then replug the key and try again.';

const GONE = 'The key disappeared while it was being opened. Plug it back in and try again.';

const OTHER = 'The key could not be opened. Unplug it, plug it back in and try again; if it keeps failing, set it aside.';

export function classifyOpenFailure(platform: NodeJS.Platform, message: string): OpenFailure {
  if (/no such (file|device)|ENOENT|ENODEV|not found|cannot find the file|0x00000002/i.test(message)) return { kind: 'gone', advice: GONE };
  if (platform === 'linux' && /EACCES|EPERM|permission denied|operation not permitted/i.test(message)) {
    return { kind: 'permission', advice: LINUX_PERMISSION };
  }
  if (platform === 'win32') {
    if (/access is denied|0x00000005|EACCES/i.test(message)) return { kind: 'permission', advice: WINDOWS_ADMIN };
    if (/being used by another process|sharing violation|0x00000020/i.test(message)) return { kind: 'held-by-other-app', advice: 'Another app holds the key; close it and try again.' };
  }
  if (platform === 'darwin' && /exclusive access|0xE00002C5|kIOReturnExclusiveAccess/i.test(message)) {
    return { kind: 'held-by-other-app', advice: MAC_EXCLUSIVE };
  }
  return { kind: 'other', advice: OTHER };
}
