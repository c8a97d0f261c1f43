// The whole preregistration round trip through the real layers, with no station engine in between:
// Okta client → simulator → enroll → open the requests → program a virtual key with our CTAP client →
// seal the responses → activate → ACTIVE → send-pin mails the PIN; mark-error and delete as documented.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientPin } from '../../electron/core/ctap/client-pin.js';
import { PERMISSION } from '../../electron/core/ctap/constants.js';
import { Ctap2 } from '../../electron/core/ctap/ctap2.js';
import { CtapHidConnection } from '../../electron/core/ctap/ctaphid.js';
import { choosePinProtocol } from '../../electron/core/ctap/info.js';
import { firmwareString } from '../../electron/core/ctap/key-summary.js';
import { attestationObjectBytes, parseAuthenticatorData } from '../../electron/core/ctap/make-credential.js';
import { pinProtocol, sha256 } from '../../electron/core/ctap/pin-protocol.js';
import { OktaClient } from '../../electron/core/okta/client.js';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import { DEFAULT_ORG_DOMAIN, startSimulator, type SimulatorHandle } from '../../electron/core/sim/index.js';
import { VirtualKey } from '../../electron/core/virtual-key/virtual-key.js';
import { buildClientDataJSON, buildRegistrationResponse } from '../../electron/core/wire/client-data.js';
import { openCredRequest, openPinRequest, sealCredResponse, sealPinResponse } from '../../electron/core/wire/station-side.js';
import { StationKeyring } from '../../electron/core/wire/station-keys.js';

const PIN = '40718236';
const fromB64url = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

let sim: SimulatorHandle;
let outboxDir: string;
let client: OktaClient;

beforeAll(async () => {
  outboxDir = await mkdtemp(join(tmpdir(), 'keybench-outbox-'));
  sim = await startSimulator({ outboxDir });
  client = new OktaClient({ orgUrl: sim.url, credentials: { kind: 'ssws', token: sim.apiToken }, enrollmentRpIds: [DEFAULT_ORG_DOMAIN] });
});

afterAll(async () => {
  await sim.close();
  await rm(outboxDir, { recursive: true, force: true });
});

describe('preregistration round trip against the simulator', () => {
  it('enrolls, programs a virtual key, activates, and mails the PIN', async () => {
    const keyring = await StationKeyring.create(new MemorySecretStore());
    const user = await client.getUser('alice@example.com');
    const enrolled = await client.enroll({ userId: user.id, transportKey: keyring.transportKey });
    expect(enrolled.credRequests).toHaveLength(1);
    expect((await client.listEnrollments(user.id)).map((f) => f.status)).toEqual(['PENDING_ACTIVATION']);

    const pinRequest = await openPinRequest(enrolled.pinRequestJwe, keyring.transportPrivateKeys());
    const [credEntry] = enrolled.credRequests;
    if (!credEntry?.credRequestJwe || !credEntry.keyId) throw new Error('enroll returned an incomplete credential request');
    const credRequest = await openCredRequest(credEntry.credRequestJwe, credEntry.keyId, keyring.transportPrivateKeys());
    const options = credRequest.request.publicKey;
    expect(options.rp.id).toBe(DEFAULT_ORG_DOMAIN);

    const key = new VirtualKey({ serial: '3632071' });
    const connection = await CtapHidConnection.open(key.open());
    const ctap = new Ctap2(connection);
    const info = await ctap.getInfo();
    const clientPin = new ClientPin(ctap, pinProtocol(choosePinProtocol(info)));
    await clientPin.setPin(PIN);
    const token = await clientPin.getPinToken(PIN, PERMISSION.MAKE_CREDENTIAL, options.rp.id);

    const clientDataJSON = buildClientDataJSON(options.challenge, options.rp.id);
    const made = await ctap.makeCredential({
      clientDataHash: sha256(clientDataJSON),
      rp: options.rp,
      user: { id: fromB64url(options.user.id), name: options.user.name, displayName: options.user.displayName },
      pubKeyCredParams: options.pubKeyCredParams.map((p) => ({ type: 'public-key' as const, alg: p.alg })),
      options: { rk: true },
      extensions: { credProtect: 3 },
      pinUvAuthToken: token,
    });
    const authData = parseAuthenticatorData(made.authData);
    expect(authData.flags.userVerified).toBe(true);
    const credential = buildRegistrationResponse({
      credentialId: authData.attestedCredentialData!.credentialId,
      clientDataJSON,
      attestationObject: attestationObjectBytes(made),
      rk: true,
    });
    const authenticator = { aaguid: info.aaguidString, serial: '3632071', firmwareVersion: firmwareString(info.firmwareVersion)! };
    const credResponseJwe = await sealCredResponse({ ...credRequest, credential, authenticator, signer: keyring.signingKey });
    const pinResponseJwe = await sealPinResponse({ ...pinRequest, pin: PIN, forceChangePin: false, serial: '3632071', signer: keyring.signingKey });
    await connection.close();

    const activated = await client.activate({
      userId: user.id,
      serial: '3632071',
      version: authenticator.firmwareVersion,
      pinResponseJwe,
      credResponses: [{ authenticatorEnrollmentId: credEntry.authenticatorEnrollmentId, credResponseJwe }],
      signingJwks: keyring.signingJwks(),
    });
    expect(activated.authenticatorEnrollmentIds).toEqual([credEntry.authenticatorEnrollmentId]);
    const [factor] = await client.listEnrollments(user.id);
    expect(factor).toMatchObject({ id: credEntry.authenticatorEnrollmentId, status: 'ACTIVE' });
    expect(factor!.profile).toMatchObject({ credentialId: credential.id, presetPinAvailable: true });

    await client.sendPin({ userId: user.id, authenticatorEnrollmentId: credEntry.authenticatorEnrollmentId });
    const [mail] = sim.state.outbox();
    expect(mail).toMatchObject({ to: 'alice@example.com', userId: user.id });
    expect(await readFile(mail!.path, 'utf8')).toContain(PIN);

    // A replayed activation of the same factor is refused: the challenge is single-use.
    await expect(
      client.activate({
        userId: user.id,
        serial: '3632071',
        version: authenticator.firmwareVersion,
        pinResponseJwe,
        credResponses: [{ authenticatorEnrollmentId: credEntry.authenticatorEnrollmentId, credResponseJwe }],
        signingJwks: keyring.signingJwks(),
      }),
    ).rejects.toMatchObject({ status: 400, errorCode: 'E0000001' });
  });

  it('marks a factor FULFILLMENT_ERRORED and deletes it', async () => {
    const keyring = await StationKeyring.create(new MemorySecretStore());
    const user = await client.getUser('bob@example.com');
    const enrolled = await client.enroll({ userId: user.id, transportKey: keyring.transportKey });
    const id = enrolled.credRequests[0]!.authenticatorEnrollmentId;
    await client.markError(user.id, id);
    expect((await client.listEnrollments(user.id)).find((f) => f.id === id)?.status).toBe('FULFILLMENT_ERRORED');
    await client.deleteEnrollment(user.id, id);
    expect((await client.listEnrollments(user.id)).find((f) => f.id === id)).toBeUndefined();
  });

  it('says the user is not found for an unknown login', async () => {
    await expect(client.getUser('nobody@example.com')).rejects.toMatchObject({ status: 404, code: 'not-found' });
  });
});
