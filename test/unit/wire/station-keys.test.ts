import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore, PassphraseFileSecretStore, SecretStoreError } from '../../../electron/core/secrets/secret-store.js';
import { generateP384KeyPair, P384PublicJwkSchema } from '../../../electron/core/wire/jwk.js';
import { sealPinRequest } from '../../../electron/core/wire/okta-side.js';
import { openPinRequest } from '../../../electron/core/wire/station-side.js';
import { KEYRING_SECRET_NAME, StationKeyring, StationKeyringError } from '../../../electron/core/wire/station-keys.js';
import { pinRequestPayload } from './fixtures.js';

const N = 2 ** 15;
const PASSPHRASE = 'bench passphrase';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-keyring-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pinKey = await generateP384KeyPair('enc', 'pin-key');

describe('StationKeyring', () => {
  it('creates a transport and a signing key with dated kids and publishes only public halves', async () => {
    const keyring = await StationKeyring.create(new MemorySecretStore(), new Date('2026-03-04T10:00:00Z'));
    expect(keyring.transportKey.kid).toMatch(/^kb-trans-20260304-[0-9a-f]{8}$/);
    expect(keyring.transportKey.use).toBe('enc');
    expect(keyring.signingKey.kid).toMatch(/^kb-sig-20260304-[0-9a-f]{8}$/);
    expect(keyring.signingKey.use).toBe('sig');

    const jwks = keyring.publicJwks();
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([keyring.transportKey.kid, keyring.signingKey.kid].sort());
    for (const key of jwks.keys) {
      expect(P384PublicJwkSchema.parse(key)).toEqual(key);
      expect(key).not.toHaveProperty('d');
    }
    expect(keyring.signingJwks()).toEqual([{ ...jwks.keys.find((k) => k.use === 'sig') }]);
    expect(JSON.stringify(keyring.signingJwks())).not.toContain('"d"');
  });

  it('persists through a passphrase file: reload gives the same kids, the file holds no private key in clear', async () => {
    const path = join(dir, 'persist.json');
    const keyring = await StationKeyring.create(new PassphraseFileSecretStore(path, PASSPHRASE, { scryptN: N }));
    const reloaded = await StationKeyring.load(new PassphraseFileSecretStore(path, PASSPHRASE));
    expect(reloaded.list()).toEqual(keyring.list());
    expect(reloaded.transportKey).toEqual(keyring.transportKey);
    expect(reloaded.signingKey).toEqual(keyring.signingKey);

    const bytes = await readFile(path);
    expect(bytes.includes('"d"')).toBe(false);
    expect(bytes.includes(keyring.signingKey.d)).toBe(false);
    expect(bytes.includes(keyring.transportPrivateKeys()[0]!.d)).toBe(false);
    expect(bytes.includes(keyring.transportKey.kid)).toBe(false);
  });

  it('fails clearly with the wrong passphrase', async () => {
    const path = join(dir, 'wrong.json');
    await StationKeyring.create(new PassphraseFileSecretStore(path, PASSPHRASE, { scryptN: N }));
    const loading = StationKeyring.load(new PassphraseFileSecretStore(path, 'not the passphrase'));
    await expect(loading).rejects.toBeInstanceOf(SecretStoreError);
    await expect(loading).rejects.toThrow(/passphrase is wrong/);
  });

  it('rotation makes new keys current and keeps the old transport key able to open requests sealed to it', async () => {
    const store = new MemorySecretStore();
    const keyring = await StationKeyring.create(store, new Date('2026-01-01T00:00:00Z'));
    const oldTransport = keyring.transportKey;
    const oldSigning = keyring.signingKey;
    const inFlight = await sealPinRequest(pinRequestPayload(pinKey.publicJwk), oldTransport);

    await keyring.rotate(new Date('2026-02-01T00:00:00Z'));
    expect(keyring.transportKey.kid).not.toBe(oldTransport.kid);
    expect(keyring.transportKey.kid).toMatch(/^kb-trans-20260201-/);
    expect(keyring.signingKey.kid).not.toBe(oldSigning.kid);

    const reloaded = await StationKeyring.load(store);
    const opened = await openPinRequest(inFlight, reloaded.transportPrivateKeys());
    expect(opened.request.userId).toBe('00us2hPODQncCkxef0g3');
    const fresh = await sealPinRequest(pinRequestPayload(pinKey.publicJwk), reloaded.transportKey);
    await expect(openPinRequest(fresh, reloaded.transportPrivateKeys())).resolves.toBeDefined();

    expect(reloaded.list()).toEqual([
      { kid: oldTransport.kid, use: 'enc', createdAt: new Date('2026-01-01T00:00:00Z'), current: false },
      { kid: oldSigning.kid, use: 'sig', createdAt: new Date('2026-01-01T00:00:00Z'), current: false },
      { kid: reloaded.transportKey.kid, use: 'enc', createdAt: new Date('2026-02-01T00:00:00Z'), current: true },
      { kid: reloaded.signingKey.kid, use: 'sig', createdAt: new Date('2026-02-01T00:00:00Z'), current: true },
    ]);
    expect(reloaded.signingJwks().map((k) => k.kid)).toEqual([reloaded.signingKey.kid, oldSigning.kid]);
  });

  it('forgets a retired key but never a current one, and never overwrites an existing keyring', async () => {
    const store = new MemorySecretStore();
    const keyring = await StationKeyring.create(store);
    const old = keyring.transportKey.kid;
    await expect(keyring.forget(old)).rejects.toMatchObject({ code: 'current-key' });
    await keyring.rotate();
    await keyring.forget(old);
    expect((await StationKeyring.load(store)).list().map((k) => k.kid)).not.toContain(old);
    await expect(StationKeyring.create(store)).rejects.toBeInstanceOf(StationKeyringError);
    expect((await StationKeyring.loadOrCreate(store)).transportKey).toEqual(keyring.transportKey);
  });

  it('reports a missing or damaged keyring without quoting it', async () => {
    const store = new MemorySecretStore();
    await expect(StationKeyring.load(store)).rejects.toMatchObject({ code: 'missing' });
    await store.set(KEYRING_SECRET_NAME, '{"v":1,"keys":[{"createdAt":"x","jwk":{"d":"SECRETD"}}]}');
    const loading = StationKeyring.load(store);
    await expect(loading).rejects.toMatchObject({ code: 'corrupt' });
    await expect(loading).rejects.not.toThrow(/SECRETD/);
  });
});
