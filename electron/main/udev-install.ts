// AppImage stations have no install hook, so when Linux refuses a key the app offers to install keybench's
// kiosk udev rule itself (electron-anchors.md §5; Trezor's udev-install). Fixed argv only, no shell, nothing
// from the renderer: the rule text comes from the app's own resources and must be the rule keybench ships.
// The text goes to `pkexec tee` on stdin because root cannot read the AppImage's FUSE mount, so
// `pkexec cp <resources path>` would fail; a staging copy in the home folder could be swapped before root reads it.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { classifyOpenFailure, FIDO_UDEV_RULE } from '../core/hid/permissions.js';

/** The kiosk rule (build/linux/70-keybench-kiosk.rules): the advised rule, granting the keybench group. */
export const KIOSK_UDEV_RULE = FIDO_UDEV_RULE.replace('GROUP="plugdev"', 'GROUP="keybench"');
export const KIOSK_RULE_TARGET = '/etc/udev/rules.d/70-keybench-kiosk.rules';
export const PKEXEC = '/usr/bin/pkexec';
const TEE = '/usr/bin/tee';
// /bin/udevadm exists with and without merged /usr.
const UDEVADM = '/bin/udevadm';

/** pkexec's exit codes when the authentication dialog was dismissed or authorization was refused. */
const PKEXEC_NOT_AUTHORIZED = new Set([126, 127]);

export interface UdevInstallDeps {
  readonly platform: NodeJS.Platform;
  /** The AppImage runtime's APPIMAGE variable; unset for deb installs, whose after-install placed the rule. */
  readonly appImage: string | undefined;
  /** The rule file inside the app's resources (`<resourcesPath>/udev/70-keybench-kiosk.rules`). */
  readonly ruleSource: string;
  readFile(path: string): Promise<string>;
  exists(path: string): boolean;
  /** Runs argv[0] with the rest as arguments, without a shell, with `input` on stdin; resolves with the exit code. */
  run(argv: readonly string[], input?: string): Promise<number | null>;
  /** Asks the technician; resolves true when they choose to install. */
  confirm(question: { readonly title: string; readonly message: string; readonly detail: string }): Promise<boolean>;
}

export type UdevInstallOutcome =
  | { readonly kind: 'not-applicable' }
  | { readonly kind: 'declined' }
  | { readonly kind: 'dismissed' }
  | { readonly kind: 'installed'; readonly advice: string }
  | { readonly kind: 'manual'; readonly advice: string };

const MANUAL = [
  'Install the rule by hand:',
  `sudo install -m0644 <keybench resources>/udev/70-keybench-kiosk.rules ${KIOSK_RULE_TARGET}`,
  'then `sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=hidraw`, and replug the keys.',
].join(' ');

const AFTER_INSTALL =
  'The rule is installed. Unplug and replug the keys. A kiosk user without a desktop session also needs the keybench group: ' +
  '`sudo groupadd --system keybench; sudo usermod -aG keybench <user>`, then log that user in again.';

/** Whether a failure to open a key is one the kiosk rule fixes on this installation. */
export function udevInstallApplies(platform: NodeJS.Platform, appImage: string | undefined, openFailureMessage: string): boolean {
  return platform === 'linux' && Boolean(appImage) && classifyOpenFailure('linux', openFailureMessage).kind === 'permission';
}

function shippedRuleIsOurs(text: string): boolean {
  const rules = text.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
  return rules.length === 1 && rules[0] === KIOSK_UDEV_RULE;
}

export async function offerUdevRuleInstall(openFailureMessage: string, deps: UdevInstallDeps): Promise<UdevInstallOutcome> {
  if (!udevInstallApplies(deps.platform, deps.appImage, openFailureMessage)) return { kind: 'not-applicable' };
  if (!deps.exists(PKEXEC)) return { kind: 'manual', advice: `pkexec is not installed. ${MANUAL}` };
  const rule = await deps.readFile(deps.ruleSource);
  if (!shippedRuleIsOurs(rule)) return { kind: 'manual', advice: `The rule file in this keybench build is not the one keybench ships. ${MANUAL}` };

  const install = await deps.confirm({
    title: 'Allow keybench to use security keys',
    message: 'Linux did not let keybench open the key. Install keybench\'s device rule?',
    detail: `The rule gives the keybench group and the desktop user access to FIDO security keys only:\n${KIOSK_UDEV_RULE}\nIt goes to ${KIOSK_RULE_TARGET}; your system will ask for an administrator password.`,
  });
  if (!install) return { kind: 'declined' };

  const written = await deps.run([PKEXEC, TEE, KIOSK_RULE_TARGET], rule);
  if (written !== null && PKEXEC_NOT_AUTHORIZED.has(written)) return { kind: 'dismissed' };
  if (written !== 0) return { kind: 'manual', advice: `Writing ${KIOSK_RULE_TARGET} failed (exit ${String(written)}). ${MANUAL}` };
  // udevd re-reads changed rule files before it handles the next event, so one trigger applies the rule
  // to keys already plugged in — and costs one password prompt instead of two.
  const triggered = await deps.run([PKEXEC, UDEVADM, 'trigger', '--subsystem-match=hidraw']);
  if (triggered !== 0) return { kind: 'installed', advice: `The rule is installed; replug the keys to apply it. ${AFTER_INSTALL}` };
  return { kind: 'installed', advice: AFTER_INSTALL };
}

type Spawn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** `UdevInstallDeps.run` over node's spawn: no shell, stdout and stderr discarded (tee echoes the rule). */
export function spawnRunner(spawn: Spawn): UdevInstallDeps['run'] {
  return (argv, input) =>
    new Promise((resolve) => {
      const [command, ...args] = argv;
      if (command === undefined) throw new TypeError('run needs a command');
      const child = spawn(command, args, { shell: false, stdio: ['pipe', 'ignore', 'ignore'] });
      child.once('error', () => resolve(null));
      child.once('close', (code) => resolve(code));
      child.stdin?.end(input ?? '');
    });
}
