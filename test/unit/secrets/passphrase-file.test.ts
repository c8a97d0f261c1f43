import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore, PassphraseFileSecretStore, SecretStoreError } from '../../../electron/core/secrets/secret-store.js';

// scrypt at the minimum cost the store allows; every new store instance pays one derivation, so the
// tests share one written file and copy it.
const N = 2 ** 15;
const PASSPHRASE = 'correct horse';
const SECRET = 'okta-api-token-00abcdefSECRETvalue';
let dir: string;
let template: string;
let copies = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-secrets-'));
  template = join(dir, 'template.json');
  await new PassphraseFileSecretStore(template, PASSPHRASE, { scryptN: N }).set('token', SECRET);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyOfTemplate(): Promise<string> {
  const path = join(dir, `copy-${++copies}.json`);
  await copyFile(template, path);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<SecretStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SecretStoreError) return error;
    throw error;
  }
  throw new Error('expected a SecretStoreError');
}

function flip(b64: string): string {
  const bytes = Buffer.from(b64, 'base64url');
  bytes[0]! ^= 0x01;
  return bytes.toString('base64url');
}

describe('PassphraseFileSecretStore', () => {
  it('creates a 0600 file with no value in clear and leaves no temporary file', async () => {
    const path = join(dir, 'fresh', 'secrets.json');
    await mkdir(join(dir, 'fresh'));
    const store = new PassphraseFileSecretStore(path, PASSPHRASE, { scryptN: N });
    expect(await store.get('token')).toBeUndefined();
    await Promise.all([store.set('a', SECRET), store.set('b', 'second')]);
    expect(await store.get('a')).toBe(SECRET);
    expect(await store.get('b')).toBe('second');
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600);
    const bytes = await readFile(path, 'utf8');
    expect(bytes).not.toContain(SECRET);
    expect(bytes).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 20));
    expect(JSON.parse(bytes).kdf).toMatchObject({ name: 'scrypt', N });
    expect(await readdir(join(dir, 'fresh'))).toEqual(['secrets.json']);
  });

  it('reopens with the same passphrase, and keeps other entries when one is deleted', async () => {
    const path = await copyOfTemplate();
    const store = new PassphraseFileSecretStore(path, PASSPHRASE);
    expect(await store.get('token')).toBe(SECRET);
    await store.set('other', 'x');
    await store.delete('token');
    expect(await store.get('token')).toBeUndefined();
    expect(await store.get('other')).toBe('x');
    expect(JSON.parse(await readFile(path, 'utf8')).kdf.N).toBe(N);
  });

  it('says the passphrase is wrong (or the file altered) without showing contents', async () => {
    const error = await failure(new PassphraseFileSecretStore(await copyOfTemplate(), 'wrong horse').get('token'));
    expect(error.code).toBe('wrong-passphrase-or-tampered');
    expect(error.message).toMatch(/passphrase is wrong/);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('wrong horse');
  });

  it('detects an altered ciphertext, tag, salt or scrypt parameter', async () => {
    const path = await copyOfTemplate();
    const original = JSON.parse(await readFile(path, 'utf8'));
    const reader = new PassphraseFileSecretStore(path, PASSPHRASE);
    const variants = [
      { ...original, ciphertext: flip(original.ciphertext) },
      { ...original, cipher: { ...original.cipher, tag: flip(original.cipher.tag) } },
      { ...original, cipher: { ...original.cipher, iv: flip(original.cipher.iv) } },
      { ...original, kdf: { ...original.kdf, r: 4 } },
      { ...original, kdf: { ...original.kdf, salt: flip(original.kdf.salt) } },
    ];
    for (const variant of variants) {
      await writeFile(path, JSON.stringify(variant));
      expect((await failure(reader.get('token'))).code).toBe('wrong-passphrase-or-tampered');
    }
  });

  it('refuses a file whose KDF was weakened below 2^15 or made huge, before deriving', async () => {
    const path = await copyOfTemplate();
    const file = JSON.parse(await readFile(path, 'utf8'));
    const reader = new PassphraseFileSecretStore(path, PASSPHRASE);
    await writeFile(path, JSON.stringify({ ...file, kdf: { ...file.kdf, N: 1024 } }));
    expect((await failure(reader.get('token'))).code).toBe('wrong-passphrase-or-tampered');
    await writeFile(path, JSON.stringify({ ...file, kdf: { ...file.kdf, N: 2 ** 30 } }));
    expect((await failure(reader.get('token'))).code).toBe('corrupt');
  });

  it('reports a file that is not a secrets file as damaged', async () => {
    const path = await copyOfTemplate();
    await writeFile(path, 'not json at all');
    const error = await failure(new PassphraseFileSecretStore(path, PASSPHRASE).get('token'));
    expect(error.code).toBe('corrupt');
    expect(error.message).not.toContain('not json');
  });

  it('refuses an empty passphrase and a weak scrypt cost', () => {
    expect(() => new PassphraseFileSecretStore(template, '')).toThrow(SecretStoreError);
    expect(() => new PassphraseFileSecretStore(template, 'p', { scryptN: 2 ** 14 })).toThrow(/2\^15/);
  });
});

describe('MemorySecretStore', () => {
  it('gets, sets and deletes', async () => {
    const store = new MemorySecretStore();
    await store.set('a', '1');
    expect(await store.get('a')).toBe('1');
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
  });
});
