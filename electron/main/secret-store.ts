// The desktop app's SecretStore: each value encrypted by Electron's safeStorage (Keychain, DPAPI, or the
// Linux secret service) and kept as base64 in one JSON file under userData. On Linux without a secret
// service Electron falls back to "basic_text", a key hard-coded in Chromium; that is not protection, so
// the store then keeps secrets in memory for this session only and says why (Trezor's safeStorage module).
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { SecretStore } from '../core/secrets/secret-store.js';

/** The part of Electron's safeStorage the store uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend(): string;
}

export interface SecretPersistence {
  readonly persisted: boolean;
  /** Why secrets are not saved, in words the Settings screen can show; set exactly when `persisted` is false. */
  readonly reason?: string;
}

const FORMAT = 'keybench-safe-storage';
const FILE_MODE = 0o600;

const FileSchema = z.strictObject({
  format: z.literal(FORMAT),
  v: z.literal(1),
  entries: z.record(z.string(), z.base64()),
});
type SecretFile = z.infer<typeof FileSchema>;

export type SafeStorageSecretErrorCode = 'corrupt' | 'undecryptable';

/** Messages name the file or the secret and the next step; never a value. */
export class SafeStorageSecretError extends Error {
  override readonly name = 'SafeStorageSecretError';
  constructor(
    readonly code: SafeStorageSecretErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const SESSION_ONLY = 'Credentials are kept only until keybench closes and must be entered again after a restart.';

/** Whether safeStorage really protects what it encrypts on this machine. Call after Electron's `ready`. */
export function assessPersistence(safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): SecretPersistence {
  if (!safeStorage.isEncryptionAvailable()) {
    return { persisted: false, reason: `The operating system's keychain is not available. ${SESSION_ONLY}` };
  }
  if (platform !== 'linux') return { persisted: true };
  const backend = safeStorage.getSelectedStorageBackend();
  if (backend === 'basic_text') {
    return {
      persisted: false,
      reason:
        `No keychain (GNOME Keyring or KWallet) was found for this desktop session, so there is nothing safe to encrypt with. ${SESSION_ONLY} ` +
        'Run keybench in a desktop session with a keychain, or start it with --password-store=gnome-libsecret, to have them saved.',
    };
  }
  if (backend === 'unknown') return { persisted: false, reason: `The keychain was not ready when keybench started. ${SESSION_ONLY}` };
  return { persisted: true };
}

export interface SafeStorageSecretStoreOptions {
  readonly safeStorage: SafeStorageLike;
  /** The JSON file of encrypted values, normally `<userData>/secrets.json`. */
  readonly filePath: string;
  readonly platform?: NodeJS.Platform;
}

export class SafeStorageSecretStore implements SecretStore, SecretPersistence {
  readonly persisted: boolean;
  readonly reason?: string;
  private readonly safeStorage: SafeStorageLike;
  readonly filePath: string;
  /** Only used when nothing may be persisted. */
  private readonly session = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SafeStorageSecretStoreOptions) {
    const persistence = assessPersistence(options.safeStorage, options.platform);
    this.persisted = persistence.persisted;
    if (persistence.reason !== undefined) this.reason = persistence.reason;
    this.safeStorage = options.safeStorage;
    this.filePath = options.filePath;
  }

  get(name: string): Promise<string | undefined> {
    if (!this.persisted) return Promise.resolve(this.session.get(name));
    return this.serialized(async () => {
      const encrypted = (await this.readFile()).entries[name];
      return encrypted === undefined ? undefined : this.decrypt(name, encrypted);
    });
  }

  set(name: string, value: string): Promise<void> {
    if (!this.persisted) {
      this.session.set(name, value);
      return Promise.resolve();
    }
    return this.serialized(async () => {
      const file = await this.readFile();
      const encrypted = this.safeStorage.encryptString(value).toString('base64');
      await this.writeFile({ ...file, entries: { ...file.entries, [name]: encrypted } });
    });
  }

  delete(name: string): Promise<void> {
    if (!this.persisted) {
      this.session.delete(name);
      return Promise.resolve();
    }
    return this.serialized(async () => {
      const file = await this.readFile();
      if (!Object.hasOwn(file.entries, name)) return;
      const { [name]: _removed, ...rest } = file.entries;
      await this.writeFile({ ...file, entries: rest });
    });
  }

  /** One file operation at a time, so two writes in flight cannot lose each other's entries. */
  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation, operation);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private decrypt(name: string, encrypted: string): string {
    try {
      return this.safeStorage.decryptString(Buffer.from(encrypted, 'base64'));
    } catch {
      throw new SafeStorageSecretError(
        'undecryptable',
        `The saved secret "${name}" cannot be decrypted with this account's keychain (it was saved by another user, or the keychain was reset). Enter it again in Settings.`,
      );
    }
  }

  private async readFile(): Promise<SecretFile> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { format: FORMAT, v: 1, entries: {} };
      throw error;
    }
    try {
      return FileSchema.parse(JSON.parse(text));
    } catch {
      throw new SafeStorageSecretError('corrupt', `The secrets file ${this.filePath} is damaged. Delete it and enter the credentials again in Settings.`);
    }
  }

  /** Temporary file, fsync, rename: a crash leaves the old file or the new one, never half of one. */
  private async writeFile(file: SecretFile): Promise<void> {
    const dir = dirname(this.filePath);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${this.filePath}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(JSON.stringify(file, null, 2) + '\n', 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await chmod(temp, FILE_MODE);
      await rename(temp, this.filePath);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    if (process.platform !== 'win32') {
      const dirHandle = await open(dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    }
  }
}
