// Credentials the virtual key has made. A hardware key keeps only discoverable ones and wraps the rest
// into their credential IDs; this key keeps all of them in memory, which behaves the same to a client.
import { timingSafeEqual } from 'node:crypto';
import type { EcPublicKey } from '../ctap/pin-protocol.js';

export type CredProtectLevel = 1 | 2 | 3;

export interface UserEntity {
  readonly id: Uint8Array;
  readonly name?: string;
  readonly displayName?: string;
}

export interface StoredCredential {
  readonly id: Uint8Array;
  readonly rpId: string;
  readonly rpName?: string;
  readonly user: UserEntity;
  readonly privateKey: Uint8Array;
  readonly publicKey: EcPublicKey;
  readonly credProtect: CredProtectLevel;
  readonly discoverable: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class CredentialStore {
  private credentials: StoredCredential[] = [];

  constructor(readonly capacity: number) {}

  get discoverableCount(): number {
    return this.credentials.filter((c) => c.discoverable).length;
  }

  get remainingDiscoverable(): number {
    return Math.max(0, this.capacity - this.discoverableCount);
  }

  all(): StoredCredential[] {
    return [...this.credentials];
  }

  byId(id: Uint8Array): StoredCredential | undefined {
    return this.credentials.find((c) => sameBytes(c.id, id));
  }

  discoverable(): StoredCredential[] {
    return this.credentials.filter((c) => c.discoverable);
  }

  discoverableFor(rpId: string): StoredCredential[] {
    return this.credentials.filter((c) => c.discoverable && c.rpId === rpId);
  }

  /** Whether storing a discoverable credential for this RP and user needs a free slot (it replaces an existing one otherwise). */
  needsSlot(rpId: string, userId: Uint8Array): boolean {
    return !this.credentials.some((c) => c.discoverable && c.rpId === rpId && sameBytes(c.user.id, userId));
  }

  /** Adds a credential; a discoverable one replaces the RP's credential for the same user id. */
  add(credential: StoredCredential): void {
    if (credential.discoverable) {
      this.credentials = this.credentials.filter((c) => !(c.discoverable && c.rpId === credential.rpId && sameBytes(c.user.id, credential.user.id)));
    }
    this.credentials.push(credential);
  }

  delete(id: Uint8Array): boolean {
    const before = this.credentials.length;
    this.credentials = this.credentials.filter((c) => !sameBytes(c.id, id));
    return this.credentials.length !== before;
  }

  replaceUser(id: Uint8Array, user: UserEntity): boolean {
    const index = this.credentials.findIndex((c) => sameBytes(c.id, id));
    if (index < 0) return false;
    this.credentials[index] = { ...this.credentials[index]!, user };
    return true;
  }

  clear(): void {
    this.credentials = [];
  }
}
