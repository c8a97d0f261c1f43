// A SecretStore in one passphrase-protected JSON file: scrypt derives an AES-256-GCM key, the whole
// name→value map is one ciphertext, and the file's own parameters are authenticated as AAD so nobody can
// weaken the KDF by editing it. Writes go to a temporary file that is renamed over the old one, so a crash
// leaves either the old or the new file, never half of one.
import { createCipheriv, createDecipheriv, randomBytes, scrypt, type BinaryLike, type ScryptOptions } from 'node:crypto';
import { chmod, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { SecretStore } from './secret-store.js';

const FORMAT = 'keybench-secrets';
const FILE_MODE = 0o600;
/** OWASP's floor for scrypt is N=2^17 at r=8; 2^15 is this store's hard minimum so old files stay openable. */
export const MIN_SCRYPT_N = 2 ** 15;
const DEFAULT_SCRYPT_N = 2 ** 17;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const SALT_BYTES = 16;
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;

const b64 = z.string().regex(/^[A-Za-z0-9_-]+$/);

const FileSchema = z.strictObject({
  format: z.literal(FORMAT),
  v: z.literal(1),
  kdf: z
    .strictObject({
      name: z.literal('scrypt'),
      N: z.number().int().positive().refine((n) => Number.isInteger(Math.log2(n)), { message: 'N must be a power of two' }),
      r: z.number().int().min(1),
      p: z.number().int().min(1).max(16),
      salt: b64,
    })
    // Bounded so an edited file cannot make scrypt allocate gigabytes before the tag is ever checked.
    .refine((k) => 128 * k.N * k.r <= MAX_SCRYPT_MEMORY, { message: 'scrypt parameters too large' }),
  cipher: z.strictObject({ name: z.literal('A256GCM'), iv: b64, tag: b64 }),
  ciphertext: z.string().regex(/^[A-Za-z0-9_-]*$/),
});
type SecretFile = z.infer<typeof FileSchema>;
type Kdf = SecretFile['kdf'];

const EntriesSchema = z.record(z.string(), z.string());

export type SecretStoreErrorCode = 'wrong-passphrase-or-tampered' | 'corrupt' | 'no-passphrase' | 'weak-kdf';

/** Messages name the store and the next step; never a secret or the file's contents. */
export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';

  constructor(
    readonly code: SecretStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function deriveKey(passphrase: BinaryLike, kdf: Kdf): Promise<Buffer> {
  const options: ScryptOptions = { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r };
  return new Promise((resolve, reject) => {
    scrypt(passphrase, Buffer.from(kdf.salt, 'base64url'), KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** The authenticated header: everything in the file except the ciphertext and the tag. */
function additionalData(kdf: Kdf, iv: string): Buffer {
  return Buffer.from(JSON.stringify({ format: FORMAT, v: 1, kdf: { name: kdf.name, N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt }, iv }));
}

export class PassphraseFileSecretStore implements SecretStore {
  private readonly passphrase: string;
  private readonly scryptN: number;
  private derived: { params: string; key: Buffer } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** `scryptN` applies to files this store creates; an existing file keeps its own parameters. */
  constructor(
    readonly path: string,
    passphrase: string,
    opts: { scryptN?: number } = {},
  ) {
    if (passphrase.length === 0) {
      throw new SecretStoreError('no-passphrase', `The secret store at ${path} needs a passphrase; set one before starting the station.`);
    }
    const n = opts.scryptN ?? DEFAULT_SCRYPT_N;
    if (n < MIN_SCRYPT_N || !Number.isInteger(Math.log2(n))) {
      throw new SecretStoreError('weak-kdf', `scrypt N must be a power of two of at least 2^15 (got ${n}).`);
    }
    this.passphrase = passphrase;
    this.scryptN = n;
  }

  get(name: string): Promise<string | undefined> {
    return this.serialized(async () => (await this.readEntries()).entries[name]);
  }

  set(name: string, value: string): Promise<void> {
    return this.serialized(async () => {
      const { entries, kdf } = await this.readEntries();
      await this.writeEntries({ ...entries, [name]: value }, kdf);
    });
  }

  delete(name: string): Promise<void> {
    return this.serialized(async () => {
      const { entries, kdf } = await this.readEntries();
      if (!(name in entries)) return;
      const { [name]: _removed, ...rest } = entries;
      await this.writeEntries(rest, kdf);
    });
  }

  /** One operation at a time, so two writes in flight cannot lose each other's entries. */
  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation, operation);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async keyFor(kdf: Kdf): Promise<Buffer> {
    const params = JSON.stringify([kdf.N, kdf.r, kdf.p, kdf.salt]);
    if (this.derived?.params !== params) this.derived = { params, key: await deriveKey(this.passphrase, kdf) };
    return this.derived.key;
  }

  private unreadable(code: 'corrupt' | 'wrong-passphrase-or-tampered'): SecretStoreError {
    return code === 'corrupt'
      ? new SecretStoreError('corrupt', `The secret store at ${this.path} is not a keybench secrets file or is damaged; restore it from a backup.`)
      : new SecretStoreError(
          'wrong-passphrase-or-tampered',
          `Could not unlock the secret store at ${this.path}: the passphrase is wrong, or the file was altered. ` +
            'Enter the right passphrase; if it is right, restore the file from a backup.',
        );
  }

  private async readEntries(): Promise<{ entries: Record<string, string>; kdf: Kdf }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
        const kdf: Kdf = { name: 'scrypt', N: this.scryptN, r: SCRYPT_R, p: SCRYPT_P, salt: randomBytes(SALT_BYTES).toString('base64url') };
        return { entries: {}, kdf };
      }
      throw error;
    }
    let file: SecretFile;
    try {
      file = FileSchema.parse(JSON.parse(text));
    } catch {
      throw this.unreadable('corrupt');
    }
    // The KDF parameters are also authenticated, but a tiny N would make guessing cheap before that check.
    if (file.kdf.N < MIN_SCRYPT_N) throw this.unreadable('wrong-passphrase-or-tampered');
    const key = await this.keyFor(file.kdf);
    let plaintext: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.cipher.iv, 'base64url'));
      decipher.setAAD(additionalData(file.kdf, file.cipher.iv));
      decipher.setAuthTag(Buffer.from(file.cipher.tag, 'base64url'));
      plaintext = Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw this.unreadable('wrong-passphrase-or-tampered');
    }
    let entries: Record<string, string>;
    try {
      entries = EntriesSchema.parse(JSON.parse(plaintext));
    } catch {
      // Never rethrow: the parser's message would quote the decrypted secrets.
      throw this.unreadable('corrupt');
    }
    return { entries, kdf: file.kdf };
  }

  private async writeEntries(entries: Record<string, string>, kdf: Kdf): Promise<void> {
    const key = await this.keyFor(kdf);
    const iv = randomBytes(IV_BYTES).toString('base64url');
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    cipher.setAAD(additionalData(kdf, iv));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(entries), 'utf8'), cipher.final()]);
    const file: SecretFile = {
      format: FORMAT,
      v: 1,
      kdf,
      cipher: { name: 'A256GCM', iv, tag: cipher.getAuthTag().toString('base64url') },
      ciphertext: ciphertext.toString('base64url'),
    };
    await this.replaceFile(JSON.stringify(file, null, 2) + '\n');
  }

  private async replaceFile(contents: string): Promise<void> {
    const temp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(contents, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await chmod(temp, FILE_MODE);
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await syncDirectory(dirname(this.path));
  }
}

/** Makes the rename durable on POSIX; Windows cannot open a directory for fsync and does not need it. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
