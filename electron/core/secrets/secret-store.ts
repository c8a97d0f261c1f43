// Where the station keeps secrets (private keys, API tokens): a tiny named-string store behind one
// interface, so the Electron app can back it with safeStorage, the CLI with a passphrase file and tests
// with memory — and nothing else ever writes a private key to disk.

export interface SecretStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();

  async get(name: string): Promise<string | undefined> {
    return this.values.get(name);
  }

  async set(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }

  async delete(name: string): Promise<void> {
    this.values.delete(name);
  }
}

export { PassphraseFileSecretStore, SecretStoreError, type SecretStoreErrorCode } from './passphrase-file.js';
