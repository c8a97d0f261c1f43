// Where a station keeps its journal, settings and secrets when it is not the Electron app (which uses userData).
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KEYBENCH_DATA) return env.KEYBENCH_DATA;
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'keybench');
  return join(homedir(), '.keybench');
}
