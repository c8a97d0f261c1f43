// `keybench trust`: import the FIDO metadata blob the attestation gate checks keys against (downloaded on
// a connected machine, carried to the bench), and show what is stored.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MdsBlobError, type MdsVerifyOptions } from '../../core/trust/mds-blob.js';
import { importMdsBlob, mdsStatus, type MdsStoreStatus } from '../../core/trust/mds-store.js';
import { defaultDataDir } from '../data-dir.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const TRUST_USAGE = `Usage:
  keybench trust import <blob.jwt> [--data DIR]   verify and store a FIDO metadata (MDS3) blob
  keybench trust status [--json] [--data DIR]     show the stored blob: serial, next update, models
The blob comes from https://mds3.fidoalliance.org/ and must be signed by the FIDO Alliance; a blob that
does not verify, or is older than the stored one, is refused and nothing is written.
  --data DIR     the station's data folder (default $KEYBENCH_DATA or ~/.keybench)
Exit codes: 0 done, 1 the blob was refused or the stored one is unusable, 2 bad command line.`;

function describe(status: MdsStoreStatus): string {
  if (!status.present) {
    return 'No FIDO metadata imported: keys are checked against the bundled manufacturer roots only. Import a blob with: keybench trust import <blob.jwt>';
  }
  if (status.problem !== undefined) return `The stored FIDO metadata is not used: ${status.problem}`;
  const freshness = status.stale ? `out of date since ${status.nextUpdate}; import a newer blob` : `next update due ${status.nextUpdate}`;
  return `FIDO metadata serial ${status.serial}: ${status.entries} authenticator models, ${freshness}. Certificate revocation lists are not checked (offline).`;
}

/** `verify` lets tests substitute the MDS root; the command line always uses the FIDO Alliance's. */
export async function trustCommand(argv: string[], io: Output, verify: MdsVerifyOptions = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw new UsageError((e as Error).message, TRUST_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(TRUST_USAGE);
    return EXIT.ok;
  }
  const [action, ...rest] = positionals;
  const dataDir = values.data ?? defaultDataDir();
  if (action === 'import') {
    if (rest.length !== 1) throw new UsageError('trust import takes one blob file', TRUST_USAGE);
    if (values.json) throw new UsageError('--json goes with trust status', TRUST_USAGE);
    let jws: string;
    try {
      jws = await readFile(rest[0]!, 'utf8');
    } catch (e) {
      io.err(`keybench: cannot read ${rest[0]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return EXIT.failed;
    }
    try {
      const blob = await importMdsBlob(dataDir, jws, verify);
      io.out(`Imported FIDO metadata serial ${blob.serial} (${blob.entries.size} authenticator models, next update ${blob.nextUpdate}).`);
      if (blob.stale) io.out(`Warning: this blob's next update date (${blob.nextUpdate}) has passed; a newer one with newer status reports exists.`);
      return EXIT.ok;
    } catch (e) {
      if (!(e instanceof MdsBlobError)) throw e;
      io.err(`keybench: metadata blob refused (${e.code}): ${e.message}`);
      return EXIT.failed;
    }
  }
  if (action === 'status') {
    if (rest.length > 0) throw new UsageError(`unexpected "${rest[0]}"`, TRUST_USAGE);
    const status = await mdsStatus(dataDir, verify);
    io.out(values.json ? JSON.stringify(status, null, 2) : describe(status));
    return status.problem === undefined ? EXIT.ok : EXIT.failed;
  }
  throw new UsageError(action === undefined ? 'trust needs import or status' : `unknown trust action "${action}"`, TRUST_USAGE);
}
