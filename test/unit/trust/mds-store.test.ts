import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../electron/cli/main.js';
import { trustCommand } from '../../../electron/cli/commands/trust.js';
import type { Output } from '../../../electron/cli/usage.js';
import { MdsBlobError, type MdsVerifyOptions } from '../../../electron/core/trust/mds-blob.js';
import { MDS_FILE, importMdsBlob, loadMdsBlob, mdsStatus } from '../../../electron/core/trust/mds-store.js';
import { issue, mdsPayload, root, signBlob, type Issued } from './pki.js';

const AAGUID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

let mdsRoot: Issued;
let mdsLeaf: Issued;
let options: MdsVerifyOptions;
let dir: string;

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const blob = (serial: number) => signBlob(mdsPayload({ [AAGUID]: { roots: [mdsRoot.certificate] } }, { no: serial }), mdsLeaf.keys.privateKey, [mdsLeaf.certificate]);

async function forged(): Promise<string> {
  const [header, , signature] = (await blob(8)).split('.');
  return `${header}.${Buffer.from(JSON.stringify(mdsPayload({}, { no: 9 }))).toString('base64url')}.${signature}`;
}

beforeAll(async () => {
  mdsRoot = await root('CN=Test MDS Root');
  mdsLeaf = await issue(mdsRoot, 'CN=mds.test');
  options = { roots: [mdsRoot.certificate] };
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-trust-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the stored metadata blob', () => {
  it('is absent until imported, then stored owner-only and verified again on load', async () => {
    expect(await loadMdsBlob(dir, options)).toBeUndefined();
    expect(await mdsStatus(dir, options)).toEqual({ present: false });
    await importMdsBlob(dir, await blob(8), options);
    expect((await stat(join(dir, MDS_FILE))).mode & 0o777).toBe(0o600);
    expect((await loadMdsBlob(dir, options))!.serial).toBe(8);
    expect(await mdsStatus(dir, options)).toEqual({ present: true, serial: 8, nextUpdate: '2099-01-01', stale: false, entries: 1 });
    expect(await readdir(dir)).toEqual([MDS_FILE]);
  });

  it('refuses a file edited on disk after import', async () => {
    await importMdsBlob(dir, await blob(8), options);
    await writeFile(join(dir, MDS_FILE), await forged());
    await expect(loadMdsBlob(dir, options)).rejects.toMatchObject({ code: 'bad-signature' });
    expect((await mdsStatus(dir, options)).problem).toMatch(/altered or forged/);
  });

  it('keeps the stored blob when a forged or older one is offered', async () => {
    await importMdsBlob(dir, await blob(8), options);
    await expect(importMdsBlob(dir, await forged(), options)).rejects.toBeInstanceOf(MdsBlobError);
    const older = await importMdsBlob(dir, await blob(5), options).catch((e: unknown) => e);
    expect(older).toMatchObject({ code: 'rollback' });
    expect((older as Error).message).toMatch(/older than the one in use \(serial 8\)/);
    expect((await loadMdsBlob(dir, options))!.serial).toBe(8);
    await importMdsBlob(dir, await blob(9), options);
    expect((await loadMdsBlob(dir, options))!.serial).toBe(9);
  });
});

describe('keybench trust', () => {
  it('refuses a forged blob with a clear message, exit 1, and writes nothing', async () => {
    const file = join(dir, 'blob.jwt');
    await writeFile(file, await forged());
    const data = join(dir, 'data');
    const io = capture();
    expect(await main(['trust', 'import', file, '--data', data], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/metadata blob refused/);
    const injected = capture();
    expect(await trustCommand(['import', file, '--data', data], injected, options)).toBe(1);
    expect(injected.stderr.join('\n')).toMatch(/refused \(bad-signature\).*Nothing was imported/);
    await expect(readdir(data)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('imports a good blob, then status --json shows it', async () => {
    const file = join(dir, 'blob.jwt');
    await writeFile(file, await blob(12));
    const data = join(dir, 'data');
    const io = capture();
    expect(await trustCommand(['import', file, '--data', data], io, options)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/Imported FIDO metadata serial 12 \(1 authenticator models/);
    expect(await readFile(join(data, MDS_FILE), 'utf8')).toContain('.');
    const status = capture();
    expect(await trustCommand(['status', '--json', '--data', data], status, options)).toBe(0);
    expect(JSON.parse(status.stdout.join('\n'))).toEqual({ present: true, serial: 12, nextUpdate: '2099-01-01', stale: false, entries: 1 });
  });

  it('reports no metadata in plain words, and an unusable stored blob with exit 1', async () => {
    const io = capture();
    expect(await main(['trust', 'status', '--data', dir], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/No FIDO metadata imported.*keybench trust import/);
    await writeFile(join(dir, MDS_FILE), 'garbage');
    const bad = capture();
    expect(await main(['trust', 'status', '--data', dir], bad)).toBe(1);
    expect(bad.stdout.join('\n')).toMatch(/not used: .*not a compact JWS/);
  });

  it.each([[['trust']], [['trust', 'frob']], [['trust', 'import']], [['trust', 'import', 'a', 'b']], [['trust', 'status', 'x']], [['trust', '--bogus']]])(
    'rejects %j with usage and exit code 2',
    async (argv) => {
      const io = capture();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr.join('\n')).toMatch(/Usage/);
    },
  );
});
