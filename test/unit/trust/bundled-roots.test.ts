import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import { FIDO_MDS_ROOT_PEM } from '../../../electron/core/trust/mds-blob.js';
import { VENDOR_ROOTS, vendorRootCertificates } from '../../../electron/core/trust/vendor-roots.js';

const sha256 = (c: x509.X509Certificate) => createHash('sha256').update(new Uint8Array(c.rawData)).digest('hex');

// Fingerprints as the vendors publish them, typed here independently of the bundled files.
const PUBLISHED: Readonly<Record<string, string>> = {
  'Yubico U2F Root CA Serial 457200631': '0F:A1:38:6F:80:EB:87:13:26:3A:E5:C1:D8:4D:EB:45:5B:DF:08:AE:A5:0A:B0:55:03:CE:FE:E8:2B:09:2D:42',
  'Yubico FIDO Root CA Serial 450203556': '35:F1:A5:4B:35:3B:FB:71:1E:6D:42:AD:BE:B7:6C:0E:9D:EA:D0:95:01:8E:6A:94:78:3B:A2:19:2F:D6:FA:AD',
  'Yubico Attestation Root 1': '62:76:0C:6A:6E:F9:16:79:F4:54:C8:90:2B:80:FD:00:98:25:B3:F2:5D:A9:0F:1F:BA:CE:2E:C6:58:6C:D5:A8',
};
const fingerprint = (colons: string) => colons.replace(/:/g, '').toLowerCase();

describe('bundled roots', () => {
  it('has the FIDO MDS root: GlobalSign Root CA - R3 with its published fingerprint, self-signed', async () => {
    const mdsRoot = new x509.X509Certificate(FIDO_MDS_ROOT_PEM);
    expect(mdsRoot.subject).toBe('OU=GlobalSign Root CA - R3, O=GlobalSign, CN=GlobalSign');
    expect(sha256(mdsRoot)).toBe(fingerprint('CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B'));
    expect(await mdsRoot.verify({ publicKey: mdsRoot, signatureOnly: true })).toBe(true);
  });

  it.each(VENDOR_ROOTS.map((r) => [r.name, r] as const))('has %s, parsing to that subject, self-signed, matching the published fingerprint', async (name, bundled) => {
    const certificate = new x509.X509Certificate(bundled.pem);
    expect(certificate.subject).toBe(`CN=${name}`);
    expect(sha256(certificate)).toBe(fingerprint(PUBLISHED[name]!));
    expect(bundled.sha256).toBe(fingerprint(PUBLISHED[name]!));
    expect(await certificate.verify({ publicKey: certificate, signatureOnly: true })).toBe(true);
    expect(certificate.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
  });

  it('bundles exactly the roots whose fingerprints are pinned here', () => {
    expect(vendorRootCertificates().map((c) => c.subject).sort()).toEqual(Object.keys(PUBLISHED).map((n) => `CN=${n}`).sort());
  });
});
