import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../electron/cli/main.js';
import type { Output } from '../../../electron/cli/usage.js';
import { PassphraseFileSecretStore } from '../../../electron/core/secrets/passphrase-file.js';
import { StationKeyring } from '../../../electron/core/wire/station-keys.js';
import { buildTrail, openAsAttacker, tempPath } from '../station/audit/trail.js';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const PASSPHRASE = 'correct horse battery staple';

/** A journal with a sealed trail, and the station's keys in secrets.json beside it, as a real station keeps them. */
async function station(): Promise<string> {
  const db = tempPath('journal.db');
  const keyring = await StationKeyring.create(new PassphraseFileSecretStore(join(dirname(db), 'secrets.json'), PASSPHRASE, { scryptN: 2 ** 15 }));
  await buildTrail(db, keyring);
  return db;
}

describe('keybench audit', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.KEYBENCH_PASSPHRASE;
    process.env.KEYBENCH_PASSPHRASE = PASSPHRASE;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.KEYBENCH_PASSPHRASE;
    else process.env.KEYBENCH_PASSPHRASE = saved;
  });

  it('verifies the journal: exit 0, the verdict and the seal checked with the station keys', async () => {
    const db = await station();
    const io = capture();
    expect(await main(['audit', 'verify', '--db', db], io)).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/INTACT: 26 entries, 1 seal valid/);
    expect(out).toMatch(/seal of batch batch-1 .*: valid/);
    expect(out).toMatch(/checked against the station's signing keys/);
  });

  it('exits 1 and names the entry when a row was deleted', async () => {
    const db = await station();
    const attacker = openAsAttacker(db);
    attacker.prepare('DELETE FROM audit WHERE seq = 9').run();
    attacker.close();
    const io = capture();
    expect(await main(['audit', 'verify', '--db', db, '--json'], io)).toBe(1);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({ ok: false, firstBad: { seq: 9, problem: 'removed' } });
    const text = capture();
    expect(await main(['audit', 'verify', '--db', db], text)).toBe(1);
    expect(text.stderr.join('\n')).toMatch(/TAMPERED: entry 9 \(removed\)/);
  });

  it('says the seals were not checked when the station keys are locked', async () => {
    const db = await station();
    delete process.env.KEYBENCH_PASSPHRASE;
    const io = capture();
    expect(await main(['audit', 'verify', '--db', db], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/NOT checked: set \$KEYBENCH_PASSPHRASE/);
  });

  it('exports JSONL and PDF, and verifies the export; an edited export exits 1', async () => {
    const db = await station();
    const out = join(dirname(db), 'export');
    const io = capture();
    expect(await main(['audit', 'export', '--db', db, '--out', out], io)).toBe(0);
    const [jsonl, pdf] = io.stdout;
    expect(jsonl).toMatch(/keybench-audit-\d{4}-\d{2}-\d{2}\.jsonl$/);
    expect(pdf).toMatch(/keybench-audit-\d{4}-\d{2}-\d{2}\.pdf$/);
    expect(existsSync(jsonl!)).toBe(true);
    expect(readFileSync(pdf!).subarray(0, 5).toString()).toBe('%PDF-');
    const good = capture();
    expect(await main(['audit', 'verify', jsonl!, '--db', db], good)).toBe(0);
    expect(good.stdout.join('\n')).toMatch(/export's signing keys match/);
    const lines = readFileSync(jsonl!, 'utf8').split('\n');
    [lines[5], lines[6]] = [lines[6]!, lines[5]!];
    writeFileSync(jsonl!, lines.join('\n'));
    const bad = capture();
    expect(await main(['audit', 'verify', jsonl!, '--db', db, '--json'], bad)).toBe(1);
    expect(JSON.parse(bad.stdout.join('\n'))).toMatchObject({ ok: false, firstBad: { problem: 'reordered' } });
  });

  it('exits 1 with the line for an export that is not JSON lines', async () => {
    const file = tempPath('broken.jsonl');
    writeFileSync(file, '{"format":"keybench-audit/1"\n');
    const io = capture();
    expect(await main(['audit', 'verify', file, '--sim'], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/line 1/);
  });

  it.each([[['audit']], [['audit', 'frob']], [['audit', 'export', '--since', 'yesterday']], [['audit', 'verify', 'a', 'b']]])('exits 2 for %j', async (argv) => {
    const io = capture();
    expect(await main([...argv, '--sim'], io)).toBe(2);
  });
});
