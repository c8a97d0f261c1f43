// The FIDO Metadata Service (MDS3) BLOB: a compact JWS whose x5c chain must reach the FIDO Alliance's
// MDS root (GlobalSign Root CA - R3), signed by the x5c leaf, carrying per-authenticator metadata:
// attestation roots and status reports (revoked, compromised…). The station works offline, so the
// blob is downloaded elsewhere and imported; its certificates' CRLs cannot be fetched here, so
// revocation of the MDS signing chain is not checked (every result says `revocationChecked: false`).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import { z } from 'zod';
import { ChainError, normalizeAaguid, verifyChain } from './trust-store.js';

x509.cryptoProvider.set(globalThis.crypto);

/**
 * GlobalSign Root CA - R3, the root of https://mds3.fidoalliance.org/ (FIDO MDS3 spec §3.1.1). Copy found
 * embedded in public CA bundles; identical to the Mozilla store's; SHA-256 pinned by a unit test.
 */
export const FIDO_MDS_ROOT_PEM = `-----BEGIN CERTIFICATE-----
MIIDXzCCAkegAwIBAgILBAAAAAABIVhTCKIwDQYJKoZIhvcNAQELBQAwTDEgMB4G
A1UECxMXR2xvYmFsU2lnbiBSb290IENBIC0gUjMxEzARBgNVBAoTCkdsb2JhbFNp
Z24xEzARBgNVBAMTCkdsb2JhbFNpZ24wHhcNMDkwMzE4MTAwMDAwWhcNMjkwMzE4
MTAwMDAwWjBMMSAwHgYDVQQLExdHbG9iYWxTaWduIFJvb3QgQ0EgLSBSMzETMBEG
A1UEChMKR2xvYmFsU2lnbjETMBEGA1UEAxMKR2xvYmFsU2lnbjCCASIwDQYJKoZI
hvcNAQEBBQADggEPADCCAQoCggEBAMwldpB5BngiFvXAg7aEyiie/QV2EcWtiHL8
RgJDx7KKnQRfJMsuS+FggkbhUqsMgUdwbN1k0ev1LKMPgj0MK66X17YUhhB5uzsT
gHeMCOFJ0mpiLx9e+pZo34knlTifBtc+ycsmWQ1z3rDI6SYOgxXG71uL0gRgykmm
KPZpO/bLyCiR5Z2KYVc3rHQU3HTgOu5yLy6c+9C7v/U9AOEGM+iCK65TpjoWc4zd
QQ4gOsC0p6Hpsk+QLjJg6VfLuQSSaGjlOCZgdbKfd/+RFO+uIEn8rUAVSNECMWEZ
XriX7613t2Saer9fwRPvm2L7DWzgVGkWqQPabumDk3F2xmmFghcCAwEAAaNCMEAw
DgYDVR0PAQH/BAQDAgEGMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFI/wS3+o
LkUkrk1Q+mOai97i3Ru8MA0GCSqGSIb3DQEBCwUAA4IBAQBLQNvAUKr+yAzv95ZU
RUm7lgAJQayzE4aGKAczymvmdLm6AC2upArT9fHxD4q/c2dKg8dEe3jgr25sbwMp
jjM5RcOO5LlXbKr8EpbsU8Yt5CRsuZRj+9xTaGdWPoO4zzUhw8lo/s7awlOqzJCK
6fBdRoyV3XpYKBovHd7NADdBj+1EbddTKJd+82cEHhXXipa0095MJ6RMG3NzdvQX
mcIfeg7jLQitChws/zyrVQ4PkX4268NXSb7hLi18YIvDQVETI53O9zJrlAGomecs
Mx86OyXShkDOOyyGeMlhLxS67ttVb9+E7gUJTb0o2HLO02JQZR7rkpeDMdmztcpH
WD9f
-----END CERTIFICATE-----
`;

export type MdsBlobErrorCode = 'malformed' | 'bad-signature' | 'untrusted-chain' | 'expired' | 'rollback';

/** The blob cannot be used; the message says why and what to do. Nothing from it was trusted. */
export class MdsBlobError extends Error {
  override readonly name = 'MdsBlobError';
  constructor(
    readonly code: MdsBlobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface MdsStatusReport {
  readonly status: string;
  readonly effectiveDate?: string;
}

export interface MdsEntry {
  readonly aaguid: string;
  readonly description: string;
  /** Base64 (not URL-safe) DER certificates the vendor declares as its attestation roots. */
  readonly attestationRootCertificates: readonly string[];
  readonly statusReports: readonly MdsStatusReport[];
  readonly timeOfLastStatusChange: string;
}

export interface MdsBlob {
  /** The blob's serial number (`no`); each new blob has a higher one. */
  readonly serial: number;
  /** YYYY-MM-DD by which the FIDO Alliance publishes the next blob. */
  readonly nextUpdate: string;
  /** nextUpdate has passed: still usable, but a newer blob with newer status reports exists. */
  readonly stale: boolean;
  readonly legalHeader: string;
  /** FIDO2 entries by lowercase AAGUID (UAF and U2F entries, which have none, are left out). */
  readonly entries: ReadonlyMap<string, MdsEntry>;
  readonly revocationChecked: false;
}

export interface MdsVerifyOptions {
  /** Roots the x5c chain must reach; defaults to the FIDO MDS root. */
  readonly roots?: readonly x509.X509Certificate[];
  readonly now?: Date;
}

const ALGORITHMS = ['ES256', 'RS256', 'PS256'] as const;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const REDOWNLOAD = 'Download the blob again from https://mds3.fidoalliance.org/ and import that file.';

const headerSchema = z.object({
  alg: z.enum(ALGORITHMS),
  x5c: z.array(z.string().regex(BASE64)).min(1),
});

const entrySchema = z
  .object({
    aaguid: z.string().optional(),
    metadataStatement: z
      .object({ description: z.string(), attestationRootCertificates: z.array(z.string().regex(BASE64)) })
      .optional(),
    statusReports: z.array(z.object({ status: z.string().min(1), effectiveDate: z.string().optional() })),
    timeOfLastStatusChange: z.string(),
  })
  .refine((e) => e.aaguid === undefined || e.metadataStatement !== undefined, {
    message: 'an entry with an aaguid must have a metadataStatement',
  });

const payloadSchema = z.object({
  legalHeader: z.string(),
  no: z.number().int().nonnegative(),
  nextUpdate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  entries: z.array(entrySchema),
});

function malformed(what: string): MdsBlobError {
  return new MdsBlobError('malformed', `The metadata blob is not a valid FIDO MDS3 blob: ${what}. ${REDOWNLOAD}`);
}

function certificates(x5c: readonly string[]): x509.X509Certificate[] {
  return x5c.map((der, i) => {
    try {
      return new x509.X509Certificate(Uint8Array.from(Buffer.from(der, 'base64')));
    } catch {
      throw malformed(`x5c[${i}] is not an X.509 certificate`);
    }
  });
}

async function checkChain(chain: readonly x509.X509Certificate[], roots: readonly x509.X509Certificate[], now: Date): Promise<void> {
  try {
    await verifyChain(chain[0]!, chain.slice(1), roots, now);
  } catch (e) {
    if (!(e instanceof ChainError)) throw e;
    if (e.failure === 'expired') {
      throw new MdsBlobError('expired', `The metadata blob's signing certificate is not valid now: ${e.message}. Check the station's clock; if it is right, ${REDOWNLOAD}`);
    }
    throw new MdsBlobError('untrusted-chain', `The metadata blob was not signed by the FIDO Alliance: ${e.message}. ${REDOWNLOAD}`);
  }
}

async function checkSignature(jws: string, alg: (typeof ALGORITHMS)[number], leaf: x509.X509Certificate): Promise<Uint8Array> {
  const forged = 'The metadata blob\'s signature does not match its contents or signing certificate: it was altered or forged. Nothing was imported.';
  let key;
  try {
    key = await importX509(leaf.toString('pem'), alg);
  } catch {
    throw new MdsBlobError('bad-signature', forged);
  }
  try {
    return (await compactVerify(jws, key, { algorithms: [alg] })).payload;
  } catch {
    throw new MdsBlobError('bad-signature', forged);
  }
}

function parsePayload(bytes: Uint8Array): z.infer<typeof payloadSchema> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw malformed('the payload is not JSON');
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'payload'} (${i.message})`);
    throw malformed(`unexpected ${where.join(', ')}`);
  }
  return parsed.data;
}

function entriesByAaguid(entries: z.infer<typeof payloadSchema>['entries']): Map<string, MdsEntry> {
  const byAaguid = new Map<string, MdsEntry>();
  for (const [i, entry] of entries.entries()) {
    if (entry.aaguid === undefined || entry.metadataStatement === undefined) continue;
    let aaguid: string;
    try {
      aaguid = normalizeAaguid(entry.aaguid);
    } catch {
      throw malformed(`entries.${i}.aaguid "${entry.aaguid}" is not an AAGUID`);
    }
    byAaguid.set(aaguid, {
      aaguid,
      description: entry.metadataStatement.description,
      attestationRootCertificates: entry.metadataStatement.attestationRootCertificates,
      statusReports: entry.statusReports,
      timeOfLastStatusChange: entry.timeOfLastStatusChange,
    });
  }
  return byAaguid;
}

/** Verifies an MDS3 blob (chain to the MDS root, signature, payload shape) and returns its FIDO2 entries. */
export async function verifyMdsBlob(jws: string, options: MdsVerifyOptions = {}): Promise<MdsBlob> {
  const now = options.now ?? new Date();
  const text = jws.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) throw malformed('it is not a compact JWS (three base64url parts)');
  let rawHeader: unknown;
  try {
    rawHeader = decodeProtectedHeader(text);
  } catch {
    throw malformed('its header is not base64url JSON');
  }
  const header = headerSchema.safeParse(rawHeader);
  if (!header.success) throw malformed('its header needs alg ES256, RS256 or PS256 and an x5c certificate chain');
  const chain = certificates(header.data.x5c);
  await checkChain(chain, options.roots ?? [new x509.X509Certificate(FIDO_MDS_ROOT_PEM)], now);
  const payload = parsePayload(await checkSignature(text, header.data.alg, chain[0]!));
  return {
    serial: payload.no,
    nextUpdate: payload.nextUpdate,
    stale: now.getTime() >= Date.parse(`${payload.nextUpdate}T00:00:00Z`),
    legalHeader: payload.legalHeader,
    entries: entriesByAaguid(payload.entries),
    revocationChecked: false,
  };
}
