import { beforeAll, describe, expect, it } from 'vitest';
import { CompactSign } from 'jose';
import { MdsBlobError, verifyMdsBlob, type MdsBlobErrorCode } from '../../../electron/core/trust/mds-blob.js';
import { TrustStore } from '../../../electron/core/trust/trust-store.js';
import { b64, issue, mdsPayload, root, signBlob, type Issued } from './pki.js';

const AAGUID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const DAY = 86_400_000;

let mdsRoot: Issued;
let mdsCa: Issued;
let mdsLeaf: Issued;
let vendorRoot: Issued;

beforeAll(async () => {
  mdsRoot = await root('CN=Test MDS Root');
  mdsCa = await issue(mdsRoot, 'CN=Test MDS CA', { ca: true });
  mdsLeaf = await issue(mdsCa, 'CN=mds.test');
  vendorRoot = await root('CN=Test Vendor Root');
});

async function rejection(promise: Promise<unknown>): Promise<MdsBlobError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MdsBlobError);
  return error as MdsBlobError;
}

async function expectCode(jws: string, code: MdsBlobErrorCode, now?: Date): Promise<MdsBlobError> {
  const error = await rejection(verifyMdsBlob(jws, { roots: [mdsRoot.certificate], now }));
  expect(error.code).toBe(code);
  return error;
}

describe('verifyMdsBlob', () => {
  it('accepts a blob signed under the given root and indexes its FIDO2 entries by AAGUID', async () => {
    const jws = await signBlob(mdsPayload({ [AAGUID.toUpperCase()]: { roots: [vendorRoot.certificate], description: 'Vendor Key' } }), mdsLeaf.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]);
    const blob = await verifyMdsBlob(jws, { roots: [mdsRoot.certificate] });
    expect(blob).toMatchObject({ serial: 7, nextUpdate: '2099-01-01', stale: false, revocationChecked: false });
    expect([...blob.entries.keys()]).toEqual([AAGUID]);
    expect(blob.entries.get(AAGUID)).toMatchObject({ description: 'Vendor Key', attestationRootCertificates: [b64(vendorRoot.certificate)] });
    expect(blob.entries.get(AAGUID)!.statusReports.map((r) => r.status)).toEqual(['FIDO_CERTIFIED_L1']);
  });

  it('accepts an RS256 blob under an RSA chain, as the FIDO Alliance signs it', async () => {
    const rsaRoot = await root('CN=Test RSA Root', { rsa: true });
    const rsaLeaf = await issue(rsaRoot, 'CN=mds.test', { rsa: true });
    const jws = await signBlob(mdsPayload({ [AAGUID]: { roots: [vendorRoot.certificate] } }), rsaLeaf.keys.privateKey, [rsaLeaf.certificate]);
    expect(JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()).alg).toBe('RS256');
    expect((await verifyMdsBlob(jws, { roots: [rsaRoot.certificate] })).entries.has(AAGUID)).toBe(true);
  });

  it('drives rootsFor: an AAGUID in the blob gets its metadata roots, others the vendor roots', async () => {
    const jws = await signBlob(mdsPayload({ [AAGUID]: { roots: [vendorRoot.certificate] } }), mdsLeaf.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]);
    const mds = await verifyMdsBlob(jws, { roots: [mdsRoot.certificate] });
    const other = await root('CN=Bundled Root');
    const store = new TrustStore({ mds, vendorRoots: [other.certificate] });
    expect(store.rootsFor(AAGUID).map((a) => [a.source, a.certificate.subject])).toEqual([['mds', 'CN=Test Vendor Root']]);
    expect(store.rootsFor('00000000-0000-0000-0000-000000000001').map((a) => [a.source, a.certificate.subject])).toEqual([['vendor', 'CN=Bundled Root']]);
  });

  it('flags a blob whose nextUpdate has passed as stale but still returns it', async () => {
    const jws = await signBlob(mdsPayload({ [AAGUID]: { roots: [] } }, { nextUpdate: '2020-01-01' }), mdsLeaf.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]);
    expect((await verifyMdsBlob(jws, { roots: [mdsRoot.certificate] })).stale).toBe(true);
  });

  it('rejects a payload altered after signing', async () => {
    const jws = await signBlob(mdsPayload({ [AAGUID]: { roots: [vendorRoot.certificate], statuses: ['REVOKED'] } }), mdsLeaf.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]);
    const [header, , signature] = jws.split('.');
    const altered = Buffer.from(JSON.stringify(mdsPayload({ [AAGUID]: { roots: [vendorRoot.certificate] } }))).toString('base64url');
    const error = await expectCode(`${header}.${altered}.${signature}`, 'bad-signature');
    expect(error.message).toMatch(/altered or forged/);
  });

  it('rejects a blob signed by a key that is not the x5c leaf', async () => {
    const impostor = await issue(mdsCa, 'CN=impostor');
    await expectCode(await signBlob(mdsPayload({}), impostor.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]), 'bad-signature');
  });

  it('rejects an x5c chain that reaches a foreign root', async () => {
    const foreign = await root('CN=Test MDS Root');
    const foreignLeaf = await issue(foreign, 'CN=mds.test');
    const error = await expectCode(await signBlob(mdsPayload({}), foreignLeaf.keys.privateKey, [foreignLeaf.certificate]), 'untrusted-chain');
    expect(error.message).toMatch(/not signed by the FIDO Alliance/);
  });

  it('rejects a chain whose intermediate is not a CA', async () => {
    const notCa = await issue(mdsRoot, 'CN=Not A CA');
    const under = await issue(notCa, 'CN=mds.test');
    await expectCode(await signBlob(mdsPayload({}), under.keys.privateKey, [under.certificate, notCa.certificate]), 'untrusted-chain');
  });

  it('rejects an expired signing certificate, and one used before it is valid', async () => {
    const expired = await issue(mdsCa, 'CN=mds.test', { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
    const jws = await signBlob(mdsPayload({}), expired.keys.privateKey, [expired.certificate, mdsCa.certificate]);
    expect((await expectCode(jws, 'expired')).message).toMatch(/clock/);
    const good = await signBlob(mdsPayload({}), mdsLeaf.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]);
    await expectCode(good, 'expired', new Date(Date.now() - 10 * DAY));
  });

  it('rejects a valid signing certificate under an expired intermediate', async () => {
    const expiredCa = await issue(mdsRoot, 'CN=Old MDS CA', { ca: true, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
    const under = await issue(expiredCa, 'CN=mds.test');
    const error = await expectCode(await signBlob(mdsPayload({}), under.keys.privateKey, [under.certificate, expiredCa.certificate]), 'expired');
    expect(error.message).toMatch(/Old MDS CA/);
  });

  it.each([
    ['not a JWS', 'hello'],
    ['two parts', 'abc.def'],
    ['a header that is not JSON', `${Buffer.from('nope').toString('base64url')}.e30.c2ln`],
    ['no x5c', `${Buffer.from(JSON.stringify({ alg: 'ES256' })).toString('base64url')}.e30.c2ln`],
    ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none', x5c: ['AAAA'] })).toString('base64url')}.e30.c2ln`],
    ['an x5c that is not a certificate', `${Buffer.from(JSON.stringify({ alg: 'ES256', x5c: ['AAAA'] })).toString('base64url')}.e30.c2ln`],
  ])('rejects a malformed JWS: %s', async (_label, jws) => {
    await expectCode(jws, 'malformed');
  });

  it('rejects a correctly signed payload that lacks the fields the gate uses', async () => {
    const missingNo = mdsPayload({});
    delete missingNo.no;
    await expectCode(await signBlob(missingNo, mdsLeaf.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]), 'malformed');
    const badRoots = mdsPayload({});
    badRoots.entries = [{ aaguid: AAGUID, metadataStatement: { description: 'x', attestationRootCertificates: ['not base64!'] }, statusReports: [], timeOfLastStatusChange: '2024-01-01' }];
    const error = await expectCode(await signBlob(badRoots, mdsLeaf.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]), 'malformed');
    expect(error.message).toMatch(/attestationRootCertificates/);
    const notJson = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'ES256', x5c: [b64(mdsLeaf.certificate), b64(mdsCa.certificate)] })
      .sign(mdsLeaf.keys.privateKey);
    await expectCode(notJson, 'malformed');
  });

  it('rejects a test-signed blob against the bundled FIDO MDS root', async () => {
    const jws = await signBlob(mdsPayload({}), mdsLeaf.keys.privateKey, [mdsLeaf.certificate, mdsCa.certificate]);
    expect((await rejection(verifyMdsBlob(jws))).code).toBe('untrusted-chain');
  });
});
