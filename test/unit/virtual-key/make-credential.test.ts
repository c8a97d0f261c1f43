import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { p256 } from '@noble/curves/nist.js';
import { SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
import { decode, decodeFirst, encode, type CborMap, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { CONFIG_SUB, CTAP2_CMD, PERMISSION } from '../../../electron/core/ctap/constants.js';
import { certificateAaguid } from '../../../electron/core/virtual-key/attestation.js';
import { VirtualKey } from '../../../electron/core/virtual-key/virtual-key.js';
import { CLIENT_DATA_HASH, FAST, TestPlatform, connect, makeCredentialParams, map, plain } from './host.js';

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

interface ParsedAuthData {
  flags: number;
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  publicKey: CborMap;
  extensions: CborMap | undefined;
}

function parseAuthData(authData: Uint8Array): ParsedAuthData {
  const flags = authData[32]!;
  const aaguid = authData.slice(37, 53);
  const idLength = (authData[53]! << 8) | authData[54]!;
  const credentialId = authData.slice(55, 55 + idLength);
  const { value: publicKey, length } = decodeFirst(authData.subarray(55 + idLength));
  const rest = authData.subarray(55 + idLength + length);
  const extensions = rest.length > 0 ? decode(rest) : undefined;
  return { flags, aaguid, credentialId, publicKey: publicKey as CborMap, extensions: extensions as CborMap | undefined };
}

/** The WebAuthn attestation object (text keys) from a CTAP makeCredential reply (integer keys). */
function attestationObject(body: CborMap): Uint8Array {
  return encode({ fmt: body.get(1)!, attStmt: body.get(3)!, authData: body.get(2)! });
}

async function register(key: VirtualKey, extra: [number, CborValue][] = [], rpId = 'example.com') {
  const host = await connect(key.device);
  const challenge = new Uint8Array(32).fill(7);
  const clientDataJSON = new TextEncoder().encode(
    JSON.stringify({ type: 'webauthn.create', challenge: b64u(challenge), origin: `https://${rpId}`, crossOrigin: false }),
  );
  const clientDataHash = new Uint8Array(createHash('sha256').update(clientDataJSON).digest());
  const params = makeCredentialParams(rpId, 1, extra);
  params.set(1, clientDataHash);
  const reply = await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, params);
  return { host, reply, challenge, clientDataJSON };
}

describe('makeCredential attestation', () => {
  it('produces packed attestation that @simplewebauthn/server verifies against the exported root', async () => {
    const key = new VirtualKey(FAST);
    const material = await key.attestation();
    const { reply, challenge, clientDataJSON } = await register(key, [[6, { credProtect: 2 }]]);
    expect(reply.status).toBe(0);
    const body = reply.body!;
    expect(body.get(1)).toBe('packed');
    const attStmt = plain(body.get(3));
    expect(attStmt.alg).toBe(-7);
    expect(attStmt.x5c).toEqual([material.batchCertificate]);

    const parsed = parseAuthData(body.get(2) as Uint8Array);
    SettingsService.setRootCertificates({ identifier: 'packed', certificates: [new Uint8Array(material.rootCertificate)] });
    const verification = await verifyRegistrationResponse({
      response: {
        id: b64u(parsed.credentialId),
        rawId: b64u(parsed.credentialId),
        response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject(body)) },
        type: 'public-key',
        clientExtensionResults: {},
      },
      expectedChallenge: b64u(challenge),
      expectedOrigin: 'https://example.com',
      expectedRPID: 'example.com',
      requireUserVerification: false,
    });
    expect(verification.verified).toBe(true);
    expect(verification.registrationInfo?.aaguid).toBe('6b657962-656e-6368-7669-727475616c31');
  });

  it('fails verification against a root the key did not chain to', async () => {
    const key = new VirtualKey(FAST);
    const { reply, challenge, clientDataJSON } = await register(key);
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const stranger = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=Stranger', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
    SettingsService.setRootCertificates({ identifier: 'packed', certificates: [stranger.toString('pem')] });
    const parsed = parseAuthData(reply.body!.get(2) as Uint8Array);
    await expect(
      verifyRegistrationResponse({
        response: {
          id: b64u(parsed.credentialId),
          rawId: b64u(parsed.credentialId),
          response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject(reply.body!)) },
          type: 'public-key',
          clientExtensionResults: {},
        },
        expectedChallenge: b64u(challenge),
        expectedOrigin: 'https://example.com',
        requireUserVerification: false,
      }),
    ).rejects.toThrow(/certificate path|chain/i);
  });

  it('passes python-fido2-style checks: certificate AAGUID equals authData AAGUID, x5c chains to the root, FIDO subject', async () => {
    const key = new VirtualKey(FAST);
    const material = await key.attestation();
    const { reply } = await register(key);
    const parsed = parseAuthData(reply.body!.get(2) as Uint8Array);
    const [leafDer] = plain(reply.body!.get(3)).x5c as Uint8Array[];
    expect(certificateAaguid(leafDer!)).toEqual(parsed.aaguid);
    expect(parsed.aaguid).toEqual(key.options.aaguid);

    const leaf = new x509.X509Certificate(new Uint8Array(leafDer!));
    const root = new x509.X509Certificate(new Uint8Array(material.rootCertificate));
    expect(await leaf.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
    expect(await root.verify({ signatureOnly: true })).toBe(true);
    expect(leaf.issuer).toBe(root.subject);
    expect(leaf.subject).toContain('OU=Authenticator Attestation');
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(root.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
  });

  it('stores credProtect and reports it in the authData extensions; COSE key is ES256 P-256', async () => {
    const key = new VirtualKey(FAST);
    const { reply } = await register(key, [
      [6, { credProtect: 3 }],
      [7, { rk: true }],
    ]);
    const parsed = parseAuthData(reply.body!.get(2) as Uint8Array);
    expect(parsed.flags & 0xc1).toBe(0xc1); // UP, AT, ED
    expect(plain(parsed.extensions)).toEqual({ credProtect: 3 });
    expect(parsed.credentialId.length).toBeGreaterThanOrEqual(32);
    expect(parsed.publicKey.get(1)).toBe(2);
    expect(parsed.publicKey.get(3)).toBe(-7);
    expect(key.snapshot().credentials).toEqual([{ rpId: 'example.com', userId: b64u(Uint8Array.of(1)), credProtect: 3, discoverable: true }]);
  });

  it('ignores credProtect when the knob is off', async () => {
    const key = new VirtualKey({ ...FAST, credProtect: false });
    const { reply } = await register(key, [[6, { credProtect: 3 }]]);
    expect(parseAuthData(reply.body!.get(2) as Uint8Array).extensions).toBeUndefined();
    expect(key.snapshot().credentials[0]!.credProtect).toBe(1);
  });
});

describe('makeCredential rules', () => {
  it('rejects algorithms other than ES256', async () => {
    const host = await connect(new VirtualKey(FAST).device);
    const params = makeCredentialParams('example.com', 1);
    params.set(4, [{ alg: -257, type: 'public-key' }]);
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, params)).status).toBe(0x26);
  });

  it('waits for a touch, then answers CREDENTIAL_EXCLUDED for a credential in the excludeList', async () => {
    const key = new VirtualKey({ userPresence: { mode: 'manual', timeoutMs: 5000 } });
    const host = await connect(key.device);
    setTimeout(() => key.touch(), 20);
    const first = await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1));
    const { credentialId } = parseAuthData(first.body!.get(2) as Uint8Array);
    setTimeout(() => key.touch(), 150);
    const second = await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 2, [[5, [{ id: credentialId, type: 'public-key' }]]]));
    expect(second.status).toBe(0x19);
    expect(second.keepalives).toContain(2);
  });

  it('replaces a discoverable credential for the same user and answers KEY_STORE_FULL at capacity', async () => {
    const key = new VirtualKey({ ...FAST, capacity: 1 });
    const host = await connect(key.device);
    const rk: [number, CborValue] = [7, { rk: true }];
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1, [rk]))).status).toBe(0);
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1, [rk]))).status).toBe(0);
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 2, [rk]))).status).toBe(0x28);
    expect(key.snapshot().credentials).toHaveLength(1);
    expect((await host.cbor(CTAP2_CMD.GET_INFO)).body!.get(0x14)).toBe(0);
  });

  it('answers USER_ACTION_TIMEOUT when nobody touches the key in manual mode', async () => {
    const key = new VirtualKey({ userPresence: { mode: 'manual', timeoutMs: 60 } });
    const host = await connect(key.device);
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1))).status).toBe(0x2f);
  });

  it('counts a touch given shortly before the request', async () => {
    const key = new VirtualKey({ userPresence: { mode: 'manual', timeoutMs: 60 } });
    const host = await connect(key.device);
    key.touch();
    expect((await host.cbor(CTAP2_CMD.SELECTION)).status).toBe(0);
  });
});

describe('enterprise attestation and minPinLength', () => {
  async function enableEp(key: VirtualKey) {
    const host = await connect(key.device);
    const platform = new TestPlatform(host, 2);
    await platform.setPin('1234');
    const token = await platform.requireToken('1234', PERMISSION.AUTHENTICATOR_CONFIG | PERMISSION.MAKE_CREDENTIAL);
    const mac = platform.authenticate(token, Uint8Array.from([...new Uint8Array(32).fill(0xff), 0x0d, CONFIG_SUB.ENABLE_ENTERPRISE_ATTESTATION]));
    const status = (await host.cbor(CTAP2_CMD.CONFIG, map([[1, CONFIG_SUB.ENABLE_ENTERPRISE_ATTESTATION], [3, 2], [4, mac]]))).status;
    return { host, platform, status };
  }

  it('refuses enterpriseAttestation before EP is enabled, then attests with epAtt true', async () => {
    const key = new VirtualKey(FAST);
    const host = await connect(key.device);
    expect(plain((await host.cbor(CTAP2_CMD.GET_INFO)).body!.get(4)).ep).toBe(false);
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1, [[0x0a, 2]]))).status).toBe(0x02);

    const { host: admin, platform, status } = await enableEp(key);
    expect(status).toBe(0);
    expect(plain((await admin.cbor(CTAP2_CMD.GET_INFO)).body!.get(4)).ep).toBe(true);
    const token = await platform.requireToken('1234', PERMISSION.MAKE_CREDENTIAL);
    const reply = await admin.cbor(
      CTAP2_CMD.MAKE_CREDENTIAL,
      makeCredentialParams('example.com', 1, [
        [8, platform.authenticate(token, CLIENT_DATA_HASH)],
        [9, 2],
        [0x0a, 2],
      ]),
    );
    expect(reply.status).toBe(0);
    expect(reply.body!.get(4)).toBe(true);
    expect(plain(reply.body!.get(3)).x5c).toHaveLength(1);
  });

  it('has no ep option and refuses enableEnterpriseAttestation without the knob', async () => {
    const key = new VirtualKey({ ...FAST, enterpriseAttestation: false });
    const host = await connect(key.device);
    expect(plain((await host.cbor(CTAP2_CMD.GET_INFO)).body!.get(4))).not.toHaveProperty('ep');
    expect((await enableEp(key)).status).toBe(0x3e);
  });

  it('reports minPinLength only to RP IDs on the key list', async () => {
    const key = new VirtualKey(FAST);
    const host = await connect(key.device);
    const params = map([[1, CONFIG_SUB.SET_MIN_PIN_LENGTH], [2, map([[1, 6], [2, ['listed.example']]])]]);
    expect((await host.cbor(CTAP2_CMD.CONFIG, params)).status).toBe(0);
    const ext: [number, CborValue] = [6, { minPinLength: true }];
    const listed = await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('listed.example', 1, [ext]));
    expect(plain(parseAuthData(listed.body!.get(2) as Uint8Array).extensions)).toEqual({ minPinLength: 6 });
    const other = await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('other.example', 1, [ext]));
    expect(parseAuthData(other.body!.get(2) as Uint8Array).extensions).toBeUndefined();
  });
});

describe('getAssertion', () => {
  it('signs with the credential key, for an allowList and for a discoverable credential', async () => {
    const key = new VirtualKey(FAST);
    const host = await connect(key.device);
    const made = await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 9, [[7, { rk: true }]]));
    const { credentialId, publicKey } = parseAuthData(made.body!.get(2) as Uint8Array);
    const point = Uint8Array.from([4, ...(publicKey.get(-2) as Uint8Array), ...(publicKey.get(-3) as Uint8Array)]);

    for (const allowList of [[{ id: credentialId, type: 'public-key' }], undefined]) {
      const params = map([[1, 'example.com'], [2, CLIENT_DATA_HASH]]);
      if (allowList) params.set(3, allowList);
      const reply = await host.cbor(CTAP2_CMD.GET_ASSERTION, params);
      expect(reply.status).toBe(0);
      const authData = reply.body!.get(2) as Uint8Array;
      const signature = reply.body!.get(3) as Uint8Array;
      expect(p256.verify(signature, Uint8Array.from([...authData, ...CLIENT_DATA_HASH]), point, { format: 'der' })).toBe(true);
      expect(plain(reply.body!.get(1)).id).toEqual(credentialId);
      if (!allowList) expect(plain(reply.body!.get(4)).id).toEqual(Uint8Array.of(9));
    }
    const none = await host.cbor(CTAP2_CMD.GET_ASSERTION, map([[1, 'other.example'], [2, CLIENT_DATA_HASH]]));
    expect(none.status).toBe(0x2e);
  });
});
