// The electron-builder configuration in package.json: what the release targets promise a station (Linux
// package dependencies, Windows elevation, fuses, file associations) without building anything.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIDO_UDEV_RULE } from '../../../electron/core/hid/permissions.js';

const repo = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string>; build: BuilderConfig };

interface BuilderConfig {
  asarUnpack: string[];
  npmRebuild: boolean;
  electronFuses: Record<string, boolean>;
  fileAssociations: { ext: string; mimeType?: string }[];
  linux: { target: string[]; extraResources: { from: string; to: string }[] };
  deb: { depends: string[]; afterInstall: string; afterRemove: string };
  win: { target: string; requestedExecutionLevel: string };
  nsis: { deleteAppDataOnUninstall: boolean };
  mac: { target: string; entitlements: string };
}
const build = pkg.build;

/** electron-builder's own deb dependencies, from the installed app-builder-lib (a custom list replaces them). */
function electronBuilderDebDefaults(): string[] {
  const load = createRequire(join(repo, 'package.json'));
  const fpm = load('app-builder-lib/out/targets/FpmTarget.js') as { default: { prototype: { getDefaultDepends(target: string): unknown } } };
  const defaults = fpm.default.prototype.getDefaultDepends('deb');
  if (!Array.isArray(defaults) || defaults.some((d) => typeof d !== 'string')) throw new Error('app-builder-lib no longer exposes its default deb depends');
  return defaults as string[];
}

const RELEASE_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  enableCookieEncryption: true,
  grantFileProtocolExtraPrivileges: false,
};

describe('electron-builder configuration', () => {
  it('builds deb and AppImage on Linux, NSIS on Windows, dmg on macOS', () => {
    expect(build.linux.target).toEqual(['deb', 'AppImage']);
    expect(build.win.target).toBe('nsis');
    expect(build.mac.target).toBe('dmg');
  });

  it("makes the deb depend on electron-builder's defaults plus libusb and libudev, which node-hid links", () => {
    expect(build.deb.depends).toEqual(expect.arrayContaining([...electronBuilderDebDefaults(), 'libusb-1.0-0', 'libudev1']));
  });

  it('sets every release fuse', () => {
    expect(build.electronFuses).toEqual(RELEASE_FUSES);
  });

  it('has a test profile that differs from the release only by allowing --inspect (Playwright _electron needs it)', () => {
    const script = pkg.scripts['dist:test']!;
    const overrides = [...script.matchAll(/-c\.electronFuses\.(\w+)=(true|false)/g)].map((m) => [m[1], m[2] === 'true']);
    expect(overrides).toEqual([['enableNodeCliInspectArguments', true]]);
    expect(script).toContain('--dir');
  });

  it("unpacks node-hid's prebuilds and better-sqlite3's binary from the asar", () => {
    expect(build.asarUnpack.some((p) => p.startsWith('node_modules/node-hid/prebuilds/') && p.endsWith('.node'))).toBe(true);
    expect(build.asarUnpack).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  });

  it('never lets electron-builder rebuild natives itself (it would compile node-hid); dist rebuilds only better-sqlite3', () => {
    expect(build.npmRebuild).toBe(false);
    expect(pkg.scripts['dist']).toMatch(/electron-rebuild --only better-sqlite3 && electron-builder/);
  });

  it('asks Windows for elevation (raw FIDO HID needs it since Windows 10 1903) and keeps the journal on uninstall', () => {
    expect(build.win.requestedExecutionLevel).toBe('requireAdministrator');
    expect(build.nsis.deleteAppDataOnUninstall).toBe(false);
  });

  it('opens order CSVs', () => {
    expect(build.fileAssociations).toContainEqual(expect.objectContaining({ ext: 'csv', mimeType: 'text/csv' }));
  });

  it('ships a kiosk rule with the same match as the advised rule, granting the keybench group', () => {
    const rules = readFileSync(join(repo, 'build/linux/70-keybench-kiosk.rules'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(rules).toEqual([FIDO_UDEV_RULE.replace('GROUP="plugdev"', 'GROUP="keybench"')]);
    expect(build.linux.extraResources).toContainEqual({ from: 'build/linux/70-keybench-kiosk.rules', to: 'udev/70-keybench-kiosk.rules' });
  });

  it("keeps electron-builder's default after-install and after-remove steps and adds the kiosk rule", () => {
    const templates = join(repo, 'node_modules/app-builder-lib/templates/linux');
    const steps = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const install = steps(readFileSync(join(repo, build.deb.afterInstall), 'utf8'));
    const remove = steps(readFileSync(join(repo, build.deb.afterRemove), 'utf8'));
    expect(install).toEqual(expect.arrayContaining(steps(readFileSync(join(templates, 'after-install.tpl'), 'utf8'))));
    expect(remove).toEqual(expect.arrayContaining(steps(readFileSync(join(templates, 'after-remove.tpl'), 'utf8'))));
    expect(install).toContain("install -D -m0644 '/opt/${sanitizedProductName}/resources/udev/70-keybench-kiosk.rules' /usr/lib/udev/rules.d/70-keybench-kiosk.rules");
    expect(install).toContain('udevadm trigger --subsystem-match=hidraw || true');
    expect(install).toContain('groupadd --system keybench || true');
  });

  it('uses only the macros electron-builder defines in the deb scripts (an unknown ${NAME} fails the build)', () => {
    for (const script of [build.deb.afterInstall, build.deb.afterRemove]) {
      const macros = new Set([...readFileSync(join(repo, script), 'utf8').matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]));
      expect([...macros].filter((m) => !['executable', 'sanitizedProductName', 'productFilename'].includes(m!))).toEqual([]);
    }
  });
});
