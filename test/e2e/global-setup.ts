// Builds what the renderer e2e tests load into a folder of this run's own (other runs may build at the
// same time): the renderer exactly as `renderer/vite.config.mts` ships it, and the fake station as a
// classic script that an init script can run before the page. Returns the teardown that removes it.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'vite';

export default async function globalSetup(): Promise<() => Promise<void>> {
  await mkdir('out/e2e', { recursive: true });
  const runDir = resolve(await mkdtemp('out/e2e/run-'));
  await build({ configFile: 'renderer/vite.config.mts', logLevel: 'warn', build: { outDir: join(runDir, 'renderer'), emptyOutDir: true } });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      lib: { entry: 'renderer/src/fake-station.ts', name: 'keybenchFake', formats: ['iife'], fileName: () => 'fake-station.js' },
      outDir: join(runDir, 'fake'),
      emptyOutDir: true,
      target: 'chrome120',
      minify: false,
    },
  });
  // Workers inherit the environment the global setup leaves behind.
  process.env.KEYBENCH_E2E_DIR = runDir;
  return () => rm(runDir, { recursive: true, force: true });
}
