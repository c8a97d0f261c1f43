import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The folder boundaries of architecture.md are enforced by eslint.config.js; these cases prove the rules bite.
const eslint = new ESLint();

async function messages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId?.includes('no-restricted-imports')).map((m) => m.message);
}

describe('import boundaries', () => {
  it('stops the core from importing electron at runtime', async () => {
    expect(await messages("import { app } from 'electron';\nexport const a = app;\n", 'electron/core/station/x.ts')).toHaveLength(1);
  });

  it('lets the core import electron types only', async () => {
    expect(await messages("import type { App } from 'electron';\nexport type A = App;\n", 'electron/core/station/x.ts')).toEqual([]);
  });

  it('stops the renderer from importing Node modules and the core', async () => {
    expect(await messages("import fs from 'node:fs';\nexport const f = fs;\n", 'renderer/src/x.ts')).toHaveLength(1);
    expect(await messages("import { readFileSync } from 'fs';\nexport const f = readFileSync;\n", 'renderer/src/x.ts')).toHaveLength(1);
    expect(await messages("import { encode } from '../../electron/core/ctap/cbor.js';\nexport const e = encode;\n", 'renderer/src/x.ts')).toHaveLength(1);
  });

  it('keeps the contract free of Node modules', async () => {
    expect(await messages("import { createHash } from 'node:crypto';\nexport const h = createHash;\n", 'electron/contract/x.ts')).toHaveLength(1);
  });
});
