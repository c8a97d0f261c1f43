// The station's own JOSE keys: one current transport key (Okta encrypts requests to it) and one current
// signing key (responses are signed with it), plus the keys they replaced. A rotated-out transport key is
// kept because orders enrolled under it still arrive encrypted to it; a rotated-out signing key stays
// published so responses already sealed with it still verify. Private halves live only in a SecretStore.
import { z } from 'zod';
import type { SecretStore } from '../secrets/secret-store.js';
import { generateP384KeyPair, P384PrivateJwkSchema, randomKidSuffix, toPublicJwk, type KeyUse, type P384PrivateJwk, type P384PublicJwk } from './jwk.js';

export const KEYRING_SECRET_NAME = 'station-keyring';

const KID_PREFIX: Record<KeyUse, string> = { enc: 'kb-trans', sig: 'kb-sig' };

const StoredKeySchema = z.strictObject({
  createdAt: z.iso.datetime(),
  jwk: P384PrivateJwkSchema,
});
type StoredKey = z.infer<typeof StoredKeySchema>;

const StoredKeyringSchema = z.strictObject({
  v: z.literal(1),
  // Oldest first: the last key of each use is the current one.
  keys: z.array(StoredKeySchema),
});

export interface StationKeyInfo {
  kid: string;
  use: KeyUse;
  createdAt: Date;
  current: boolean;
}

export type StationKeyringErrorCode = 'missing' | 'exists' | 'corrupt' | 'current-key' | 'unknown-kid';

export class StationKeyringError extends Error {
  override readonly name = 'StationKeyringError';

  constructor(
    readonly code: StationKeyringErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function compactDate(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

async function newKey(use: KeyUse, now: Date): Promise<StoredKey> {
  const kid = `${KID_PREFIX[use]}-${compactDate(now)}-${randomKidSuffix()}`;
  const { privateJwk } = await generateP384KeyPair(use, kid);
  return { createdAt: now.toISOString(), jwk: privateJwk };
}

export class StationKeyring {
  private constructor(
    private readonly store: SecretStore,
    private keys: StoredKey[],
  ) {}

  /** Makes a fresh transport + signing key pair and saves it; refuses to overwrite an existing keyring. */
  static async create(store: SecretStore, now: Date = new Date()): Promise<StationKeyring> {
    if ((await store.get(KEYRING_SECRET_NAME)) !== undefined) {
      throw new StationKeyringError('exists', 'This station already has keys; load them, or rotate them to make new ones.');
    }
    const keyring = new StationKeyring(store, [await newKey('enc', now), await newKey('sig', now)]);
    await keyring.save();
    return keyring;
  }

  static async load(store: SecretStore): Promise<StationKeyring> {
    const text = await store.get(KEYRING_SECRET_NAME);
    if (text === undefined) {
      throw new StationKeyringError('missing', 'This station has no keys yet; create them first (keybench keys create).');
    }
    let parsed: z.infer<typeof StoredKeyringSchema>;
    try {
      parsed = StoredKeyringSchema.parse(JSON.parse(text));
    } catch {
      // The parse errors would quote private key material: report only that the record is unusable.
      throw new StationKeyringError('corrupt', 'The stored station keyring is damaged; restore the secret store from a backup.');
    }
    const keyring = new StationKeyring(store, parsed.keys);
    if (!keyring.keys.some((k) => k.jwk.use === 'enc') || !keyring.keys.some((k) => k.jwk.use === 'sig')) {
      throw new StationKeyringError('corrupt', 'The stored station keyring lacks a transport or signing key; restore it from a backup.');
    }
    return keyring;
  }

  static async loadOrCreate(store: SecretStore, now: Date = new Date()): Promise<StationKeyring> {
    return (await store.get(KEYRING_SECRET_NAME)) === undefined ? StationKeyring.create(store, now) : StationKeyring.load(store);
  }

  /** New transport and signing keys become current; the previous ones are kept (see the file comment). */
  async rotate(now: Date = new Date()): Promise<void> {
    this.keys = [...this.keys, await newKey('enc', now), await newKey('sig', now)];
    await this.save();
  }

  /** Drops a retired key once no open order needs it. The current keys cannot be dropped. */
  async forget(kid: string): Promise<void> {
    const key = this.keys.find((k) => k.jwk.kid === kid);
    if (!key) throw new StationKeyringError('unknown-kid', `The station has no key ${kid}.`);
    if (this.current(key.jwk.use) === key) {
      throw new StationKeyringError('current-key', `Key ${kid} is current; rotate before forgetting it.`);
    }
    this.keys = this.keys.filter((k) => k !== key);
    await this.save();
  }

  /** The key to hand to `enroll` as `yubicoTransportKeyJWK`. */
  get transportKey(): P384PublicJwk {
    return toPublicJwk(this.current('enc').jwk);
  }

  /** The key every response is signed with. */
  get signingKey(): P384PrivateJwk {
    return this.current('sig').jwk;
  }

  /** Every kept transport key, current first: what opening a request may need. */
  transportPrivateKeys(): P384PrivateJwk[] {
    return this.ofUse('enc').reverse().map((k) => k.jwk);
  }

  /** `yubicoSigningJwks` for `activate`: a bare array of public signing keys, current first. */
  signingJwks(): P384PublicJwk[] {
    return this.ofUse('sig').reverse().map((k) => toPublicJwk(k.jwk));
  }

  /** A JWKS document (`{ keys: [...] }`) of every public key, for the admin. */
  publicJwks(): { keys: P384PublicJwk[] } {
    return { keys: [...this.keys].reverse().map((k) => toPublicJwk(k.jwk)) };
  }

  list(): StationKeyInfo[] {
    return this.keys.map((k) => ({
      kid: k.jwk.kid,
      use: k.jwk.use,
      createdAt: new Date(k.createdAt),
      current: this.current(k.jwk.use) === k,
    }));
  }

  private ofUse(use: KeyUse): StoredKey[] {
    return this.keys.filter((k) => k.jwk.use === use);
  }

  private current(use: KeyUse): StoredKey {
    const key = this.ofUse(use).at(-1);
    if (!key) throw new StationKeyringError('corrupt', `The station keyring has no ${use === 'enc' ? 'transport' : 'signing'} key.`);
    return key;
  }

  private async save(): Promise<void> {
    await this.store.set(KEYRING_SECRET_NAME, JSON.stringify({ v: 1, keys: this.keys }));
  }
}
