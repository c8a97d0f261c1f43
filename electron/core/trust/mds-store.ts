// The imported FIDO metadata blob in the station's data folder (`mds3.jwt`). It is stored only after it
// verifies, and verified again on every load: a file edited on disk, or whose signing certificate has
// since expired, is refused rather than trusted.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MdsBlobError, verifyMdsBlob, type MdsBlob, type MdsVerifyOptions } from './mds-blob.js';

export const MDS_FILE = 'mds3.jwt';

export interface MdsStoreStatus {
  readonly present: boolean;
  readonly serial?: number;
  readonly nextUpdate?: string;
  readonly stale?: boolean;
  /** Number of FIDO2 authenticator models the blob describes. */
  readonly entries?: number;
  /** Why a stored blob cannot be used (it is then ignored). */
  readonly problem?: string;
}

async function readStored(dataDir: string): Promise<string | undefined> {
  try {
    return await readFile(join(dataDir, MDS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The stored blob, verified; undefined when none was imported. Throws MdsBlobError when it no longer verifies. */
export async function loadMdsBlob(dataDir: string, options: MdsVerifyOptions = {}): Promise<MdsBlob | undefined> {
  const stored = await readStored(dataDir);
  return stored === undefined ? undefined : verifyMdsBlob(stored, options);
}

/**
 * Verifies `jws` and, only if it passes, replaces the stored blob (written to a temporary file and renamed,
 * so a crash leaves the old or the new blob, never half of one). Refuses a blob older than a usable
 * stored one: importing an old blob would hide status reports (revocations) published since.
 */
export async function importMdsBlob(dataDir: string, jws: string, options: MdsVerifyOptions = {}): Promise<MdsBlob> {
  const blob = await verifyMdsBlob(jws, options);
  let current: MdsBlob | undefined;
  try {
    current = await loadMdsBlob(dataDir, options);
  } catch (e) {
    if (!(e instanceof MdsBlobError)) throw e;
  }
  if (current && blob.serial < current.serial) {
    throw new MdsBlobError(
      'rollback',
      `This metadata blob (serial ${blob.serial}) is older than the one in use (serial ${current.serial}); nothing was imported. Download the current blob from https://mds3.fidoalliance.org/.`,
    );
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const target = join(dataDir, MDS_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, jws.trim() + '\n', { mode: 0o600 });
    await rename(temporary, target);
  } catch (e) {
    await rm(temporary, { force: true });
    throw e;
  }
  return blob;
}

/** What is stored, for `keybench trust status` and the settings screen. */
export async function mdsStatus(dataDir: string, options: MdsVerifyOptions = {}): Promise<MdsStoreStatus> {
  try {
    const blob = await loadMdsBlob(dataDir, options);
    if (!blob) return { present: false };
    return { present: true, serial: blob.serial, nextUpdate: blob.nextUpdate, stale: blob.stale, entries: blob.entries.size };
  } catch (e) {
    if (e instanceof MdsBlobError) return { present: true, problem: e.message };
    throw e;
  }
}
