import { describe, expect, it } from 'vitest';
import { ELEVATION_NOTE, explainElevationOnFirstStart } from '../../../electron/main/windows-elevation.js';
import type { ElevationNoteDeps } from '../../../electron/main/windows-elevation.js';

function fakeDeps(platform: NodeJS.Platform, files = new Map<string, string>()) {
  const shown: unknown[] = [];
  const deps: ElevationNoteDeps = {
    platform,
    markerPath: 'C:\\Users\\bench\\AppData\\Roaming\\keybench\\windows-elevation-explained',
    exists: (path) => files.has(path),
    writeFile: async (path, text) => void files.set(path, text),
    showMessage: async (message) => void shown.push(message),
  };
  return { deps, shown, files };
}

describe('Windows elevation note', () => {
  it('explains on the first start on Windows why keybench asks for administrator rights', async () => {
    const { deps, shown } = fakeDeps('win32');
    expect(await explainElevationOnFirstStart(deps)).toBe(true);
    expect(shown).toEqual([ELEVATION_NOTE]);
    expect(ELEVATION_NOTE.detail).toMatch(/1903/);
  });

  it('says it once: the second start stays quiet', async () => {
    const { deps, shown } = fakeDeps('win32');
    await explainElevationOnFirstStart(deps);
    expect(await explainElevationOnFirstStart(deps)).toBe(false);
    expect(shown).toHaveLength(1);
  });

  it('says nothing on Linux or macOS', async () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const { deps, shown } = fakeDeps(platform);
      expect(await explainElevationOnFirstStart(deps)).toBe(false);
      expect(shown).toEqual([]);
    }
  });
});
