import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import { Ctap2 } from '../../../electron/core/ctap/ctap2.js';
import { CtapHidConnection } from '../../../electron/core/ctap/ctaphid.js';
import { checkAttestation, type AttestationInput } from '../../../electron/core/trust/attestation-verdict.js';
import { verifyMdsBlob } from '../../../electron/core/trust/mds-blob.js';
import { TrustStore, virtualCaForOrg } from '../../../electron/core/trust/trust-store.js';
import { VirtualKey } from '../../../electron/core/virtual-key/virtual-key.js';
import { issue, mdsPayload, packedAttestation, root, signBlob, type Issued, type PackedInput } from './pki.js';

const AAGUID = '0123abcd-0000-4000-8000-00000000cafe';
const DAY = 86_400_000;

let vendorRoot: Issued;
let vendorCa: Issued;
let leaf: Issued;
let genuine: PackedInput;

/** A makeCredential on a real virtual key, through the station's CTAP client. */
async function virtualKeyAttestation(): Promise<AttestationInput & { root: Uint8Array }> {
  const key = new VirtualKey({ userPresence: { mode: 'auto', delayMs: 0 } });
  const connection = await CtapHidConnection.open(key.open());
  try {
    const ctap = new Ctap2(connection);
    const info = await ctap.getInfo();
    const clientDataHash = new Uint8Array(32).fill(0x42);
    const reply = await ctap.makeCredential({
      clientDataHash,
      rp: { id: 'localhost', name: 'simulator' },
      user: { id: new TextEncoder().encode('00u1'), name: 'ada@example.com' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    });
    return { fmt: reply.fmt, attStmt: reply.attStmt, authData: reply.authData, clientDataHash, aaguid: info.aaguidString, root: (await key.attestation()).rootCertificate };
  } finally {
    await connection.close();
  }
}

beforeAll(async () => {
  vendorRoot = await root('CN=Test Vendor Root');
  vendorCa = await issue(vendorRoot, 'CN=Test Vendor Attestation CA', { ca: true });
  leaf = await issue(vendorCa, 'C=SE, O=Test Vendor, OU=Authenticator Attestation, CN=Test Key Batch 1', {
    aaguid: Uint8Array.from(Buffer.from(AAGUID.replace(/-/g, ''), 'hex')),
  });
  genuine = packedAttestation(leaf, [vendorCa.certificate], AAGUID);
});

const vendorStore = (options: ConstructorParameters<typeof TrustStore>[0] = {}) => new TrustStore({ vendorRoots: [vendorRoot.certificate], ...options });

describe('checkAttestation with a vendor PKI', () => {
  it('trusts a packed attestation that chains through an intermediate to a vendor root, and keeps the certificate', async () => {
    const verdict = await checkAttestation(genuine, vendorStore());
    expect(verdict).toMatchObject({ trusted: true, source: 'vendor', rootSubject: 'CN=Test Vendor Root', revocationChecked: false });
    expect(verdict.leafSubject).toContain('CN=Test Key Batch 1');
    expect(Buffer.from(verdict.leafDer!, 'base64url')).toEqual(Buffer.from(leaf.certificate.rawData));
  });

  it('refuses a key whose root is not trusted, says why and what to do, and still records the certificate', async () => {
    const verdict = await checkAttestation(genuine, new TrustStore({ vendorRoots: [(await root('CN=Someone Else')).certificate] }));
    expect(verdict.trusted).toBe(false);
    expect(verdict.reason).toMatch(/not from a trusted manufacturer/);
    expect(verdict.reason).toMatch(/quarantined/);
    expect(verdict.reason).toMatch(/keybench trust import/);
    expect(verdict.leafDer).toBeDefined();
    expect(verdict.source).toBeUndefined();
  });

  it('refuses a certificate whose AAGUID extension differs from the authData AAGUID', async () => {
    const other = '99999999-0000-4000-8000-000000000000';
    const forged = packedAttestation(leaf, [vendorCa.certificate], other);
    const verdict = await checkAttestation(forged, vendorStore());
    expect(verdict.trusted).toBe(false);
    expect(verdict.reason).toMatch(/is for authenticator model 0123abcd-0000-4000-8000-00000000cafe but the key says it is 99999999/);
  });

  it('refuses when the key reports one AAGUID in getInfo and another in its credential', async () => {
    const verdict = await checkAttestation({ ...genuine, aaguid: '99999999-0000-4000-8000-000000000000' }, vendorStore());
    expect(verdict.trusted).toBe(false);
    expect(verdict.reason).toMatch(/reported model 99999999/);
  });

  it('refuses a bad signature (one byte of authData flipped after signing)', async () => {
    const authData = Uint8Array.from(genuine.authData);
    authData[33]! ^= 0x01;
    const verdict = await checkAttestation({ ...genuine, authData }, vendorStore());
    expect(verdict.trusted).toBe(false);
    expect(verdict.reason).toMatch(/signature does not match/);
  });

  it('refuses a signature over a different clientDataHash', async () => {
    const verdict = await checkAttestation({ ...genuine, clientDataHash: new Uint8Array(32) }, vendorStore());
    expect(verdict.reason).toMatch(/signature does not match/);
  });

  it('refuses an alg that does not match the certificate key', async () => {
    const attStmt = new Map(genuine.attStmt).set('alg', -257);
    expect((await checkAttestation({ ...genuine, attStmt }, vendorStore())).reason).toMatch(/RS256 but the certificate holds a different kind of key/);
  });

  it('refuses an expired attestation chain', async () => {
    const verdict = await checkAttestation(genuine, vendorStore(), new Date(Date.now() + 2 * 365 * DAY));
    expect(verdict.trusted).toBe(false);
    expect(verdict.reason).toMatch(/is valid from/);
  });

  it('refuses a CA certificate presented as the attestation leaf', async () => {
    const caLeaf = await issue(vendorRoot, 'CN=Sneaky CA', { ca: true });
    const verdict = await checkAttestation(packedAttestation(caLeaf, [], AAGUID), vendorStore());
    expect(verdict.reason).toMatch(/is a CA certificate/);
  });

  it('refuses an AAGUID missing from a non-empty allow-list, and accepts it once listed', async () => {
    const miss = await checkAttestation(genuine, vendorStore({ aaguidAllowList: ['ee882879-721c-4913-9775-3dfcce97072a'] }));
    expect(miss).toMatchObject({ trusted: false, source: 'vendor' });
    expect(miss.reason).toMatch(/not on the station's allowed list/);
    const hit = await checkAttestation(genuine, vendorStore({ aaguidAllowList: [AAGUID.replace(/-/g, '').toUpperCase()] }));
    expect(hit.trusted).toBe(true);
  });

  it.each([
    ['none', new Map<string, unknown>(), /gave no attestation certificate; keybench cannot tell it is genuine/],
    ['packed', new Map<string, unknown>([['alg', -7], ['sig', new Uint8Array(70)]]), /gave no attestation certificate/],
    ['fido-u2f', new Map<string, unknown>([['sig', new Uint8Array(70)], ['x5c', []]]), /U2F-style attestation/],
    ['tpm', new Map<string, unknown>(), /format "tpm"/],
    ['packed', new Map<string, unknown>([['alg', -7], ['sig', 'text'], ['x5c', [new Uint8Array(3)]]]), /malformed/],
    ['packed', new Map<string, unknown>([['alg', -7], ['sig', new Uint8Array(70)], ['x5c', [new Uint8Array(3)]]]), /not a valid X.509 certificate/],
  ])('refuses fmt %s without a verifiable certificate (%#)', async (fmt, attStmt, reason) => {
    const verdict = await checkAttestation({ ...genuine, fmt, attStmt }, vendorStore());
    expect(verdict.trusted).toBe(false);
    expect(verdict.reason).toMatch(reason);
    expect(verdict.reason).toMatch(/quarantined/);
  });
});

describe('checkAttestation with FIDO metadata', () => {
  async function storeWith(statuses: readonly string[]): Promise<TrustStore> {
    const mdsRoot = await root('CN=Test MDS Root');
    const mdsLeaf = await issue(mdsRoot, 'CN=mds.test');
    const jws = await signBlob(mdsPayload({ [AAGUID]: { roots: [vendorRoot.certificate], statuses } }), mdsLeaf.keys.privateKey, [mdsLeaf.certificate]);
    return new TrustStore({ mds: await verifyMdsBlob(jws, { roots: [mdsRoot.certificate] }), vendorRoots: [] });
  }

  it('trusts through the metadata entry and reports its latest status', async () => {
    const verdict = await checkAttestation(genuine, await storeWith(['FIDO_CERTIFIED', 'FIDO_CERTIFIED_L1']));
    expect(verdict).toMatchObject({ trusted: true, source: 'mds', mdsStatus: 'FIDO_CERTIFIED_L1' });
  });

  it.each(['REVOKED', 'ATTESTATION_KEY_COMPROMISE', 'USER_VERIFICATION_BYPASS'])('refuses a model with status %s, even after a later certified report', async (status) => {
    const verdict = await checkAttestation(genuine, await storeWith(['FIDO_CERTIFIED', status, 'UPDATE_AVAILABLE']));
    expect(verdict).toMatchObject({ trusted: false, mdsStatus: status, source: 'mds' });
    expect(verdict.reason).toMatch(new RegExp(`reports this key model as ${status}`));
  });
});

describe('checkAttestation with a virtual key', () => {
  it('trusts a genuine virtual key only when the virtual CA is passed', async () => {
    const input = await virtualKeyAttestation();
    expect(input.fmt).toBe('packed');
    const without = await checkAttestation(input, new TrustStore());
    expect(without.trusted).toBe(false);
    expect(without.reason).toMatch(/not from a trusted manufacturer/);
    const virtualCa = new x509.X509Certificate(Uint8Array.from(input.root));
    const withCa = await checkAttestation(input, new TrustStore({ virtualCa }));
    expect(withCa).toMatchObject({ trusted: true, source: 'virtual', rootSubject: virtualCa.subject });
    expect(withCa.reason).toMatch(/simulator only/);
  });

  it('gives the virtual CA for loopback orgs only, and it is the one virtual keys chain to', async () => {
    const input = await virtualKeyAttestation();
    for (const host of ['example.okta.com', '10.0.0.1', 'localhost.example.com']) expect(await virtualCaForOrg(host)).toBeUndefined();
    for (const host of ['localhost', '127.0.0.1', '::1']) {
      const virtualCa = await virtualCaForOrg(host);
      expect(virtualCa).toBeDefined();
      expect((await checkAttestation(input, new TrustStore({ virtualCa }))).trusted).toBe(true);
    }
  });
});
