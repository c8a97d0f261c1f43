import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { assessPersistence, SafeStorageSecretError, SafeStorageSecretStore, type SafeStorageLike } from '../../../electron/main/secret-store.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keybench-safe-'));
  dirs.push(dir);
  return join(dir, 'user-data', 'secrets.json');
}

/** A reversible stand-in for the OS keychain: XOR with a per-"user" byte behind a marker. */
function fakeSafeStorage(backend = 'gnome_libsecret', options: { available?: boolean; userKey?: number } = {}) {
  const key = options.userKey ?? 0x5a;
  const storage: SafeStorageLike = {
    isEncryptionAvailable: () => options.available ?? true,
    getSelectedStorageBackend: () => backend,
    encryptString: vi.fn((plain: string) => Buffer.concat([Buffer.from([0x76, 0x31, key]), Buffer.from(plain, 'utf8').map((b) => b ^ key)])),
    decryptString: vi.fn((encrypted: Buffer) => {
      if (encrypted[0] !== 0x76 || encrypted[2] !== key) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(encrypted.subarray(3).map((b) => b ^ key)).toString('utf8');
    }),
  };
  return storage;
}

describe('safeStorage persistence policy', () => {
  it('refuses to persist on Linux with the basic_text backend and says why', () => {
    const verdict = assessPersistence(fakeSafeStorage('basic_text'), 'linux');
    expect(verdict.persisted).toBe(false);
    expect(verdict.reason).toMatch(/keychain/i);
    expect(verdict.reason).toMatch(/until keybench closes/);
  });

  it('persists with a real Linux keychain, and on macOS and Windows whenever encryption is available', () => {
    expect(assessPersistence(fakeSafeStorage('gnome_libsecret'), 'linux')).toEqual({ persisted: true });
    expect(assessPersistence(fakeSafeStorage('kwallet6'), 'linux')).toEqual({ persisted: true });
    expect(assessPersistence(fakeSafeStorage('unknown'), 'darwin')).toEqual({ persisted: true });
    expect(assessPersistence(fakeSafeStorage('unknown'), 'win32')).toEqual({ persisted: true });
  });

  it('does not persist when encryption is unavailable or the Linux backend is not known yet', () => {
    expect(assessPersistence(fakeSafeStorage('gnome_libsecret', { available: false }), 'win32').persisted).toBe(false);
    expect(assessPersistence(fakeSafeStorage('unknown'), 'linux').persisted).toBe(false);
  });
});

describe('SafeStorageSecretStore', () => {
  it('keeps secrets in memory only when the backend is basic_text', async () => {
    const filePath = tempFile();
    const safeStorage = fakeSafeStorage('basic_text');
    const store = new SafeStorageSecretStore({ safeStorage, filePath, platform: 'linux' });
    expect(store.persisted).toBe(false);
    expect(store.reason).toBeDefined();
    await store.set('okta.token', 'ssws-00abcdef');
    expect(await store.get('okta.token')).toBe('ssws-00abcdef');
    expect(existsSync(filePath)).toBe(false);
    expect(safeStorage.encryptString).not.toHaveBeenCalled();
    expect(await new SafeStorageSecretStore({ safeStorage, filePath, platform: 'linux' }).get('okta.token')).toBeUndefined();
    await store.delete('okta.token');
    expect(await store.get('okta.token')).toBeUndefined();
  });

  it('writes encrypted values to a 0600 file that a new session reads back', async () => {
    const filePath = tempFile();
    const safeStorage = fakeSafeStorage();
    const store = new SafeStorageSecretStore({ safeStorage, filePath, platform: 'linux' });
    expect(store.persisted).toBe(true);
    expect(store.reason).toBeUndefined();
    await store.set('okta.token', 'ssws-00abcdef');
    await store.set('station.key', '{"d":"private"}');
    const text = readFileSync(filePath, 'utf8');
    expect(text).not.toContain('ssws-00abcdef');
    expect(text).not.toContain('private');
    if (process.platform !== 'win32') expect(statSync(filePath).mode & 0o777).toBe(0o600);
    const again = new SafeStorageSecretStore({ safeStorage, filePath, platform: 'linux' });
    expect(await again.get('okta.token')).toBe('ssws-00abcdef');
    expect(await again.get('station.key')).toBe('{"d":"private"}');
    expect(await again.get('missing')).toBeUndefined();
  });

  it('deletes one entry and keeps the others', async () => {
    const filePath = tempFile();
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), filePath, platform: 'darwin' });
    await store.set('a', 'one');
    await store.set('b', 'two');
    await store.delete('a');
    await store.delete('not-there');
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBe('two');
  });

  it('loses no entry when writes overlap', async () => {
    const filePath = tempFile();
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), filePath, platform: 'linux' });
    await Promise.all(['a', 'b', 'c', 'd'].map((name) => store.set(name, `value-${name}`)));
    const again = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), filePath, platform: 'linux' });
    expect(await Promise.all(['a', 'b', 'c', 'd'].map((name) => again.get(name)))).toEqual(['value-a', 'value-b', 'value-c', 'value-d']);
  });

  it('reports a value another keychain encrypted as undecryptable, without the value', async () => {
    const filePath = tempFile();
    await new SafeStorageSecretStore({ safeStorage: fakeSafeStorage('kwallet5', { userKey: 1 }), filePath, platform: 'linux' }).set('okta.token', 'ssws-00abcdef');
    const other = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage('kwallet5', { userKey: 2 }), filePath, platform: 'linux' });
    const error = await other.get('okta.token').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafeStorageSecretError);
    expect(error).toMatchObject({ code: 'undecryptable' });
    expect(String(error)).not.toContain('ssws');
  });

  it('reports a damaged file as corrupt', async () => {
    const filePath = tempFile();
    const store = new SafeStorageSecretStore({ safeStorage: fakeSafeStorage(), filePath, platform: 'linux' });
    await store.set('a', 'one');
    writeFileSync(filePath, '{"format":"keybench-safe-storage","v":1,"entries":{"a":"not base64!"}}');
    await expect(store.get('a')).rejects.toMatchObject({ code: 'corrupt' });
  });
});
