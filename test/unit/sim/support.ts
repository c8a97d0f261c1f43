// Test support for the simulator: plain-fetch calls, and a minimal fulfillment station built from the
// wire module's station-side functions and a packed self attestation made with node:crypto.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { expect } from 'vitest';
import { encode } from '../../../electron/core/ctap/cbor.js';
import { generateP384KeyPair } from '../../../electron/core/wire/jwk.js';
import type { P384PrivateJwk, P384PublicJwk } from '../../../electron/core/wire/jwk.js';
import type { CredRequestPayload, PinRequestPayload } from '../../../electron/core/wire/payloads.js';
import { openCredRequest, openPinRequest, sealCredResponse, sealPinResponse } from '../../../electron/core/wire/station-side.js';
import type { OpenedRequest } from '../../../electron/core/wire/station-side.js';
import { buildClientDataJSON, buildRegistrationResponse } from '../../../electron/core/wire/webauthn.js';
import type { SimulatorHandle } from '../../../electron/core/sim/index.js';

export const PREREG = '/webauthn-registration/api/v1';
export const ALICE = '00us2hPODQncCkxef0g3';
export const GRACE_STAGED = '00u1grce9Ku5Fp8Na3h1';
export const MALLORY_SUSPENDED = '00u1mlry5Tg2Bn7Cx9a3';

export interface Call {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** One HTTP call with the simulator's API token unless `auth` says otherwise (null: no Authorization). */
export async function call(
  sim: SimulatorHandle,
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = `SSWS ${sim.apiToken}`,
  extraHeaders: Record<string, string> = {},
): Promise<Call> {
  const headers: Record<string, string> = { Accept: 'application/json', ...extraHeaders };
  if (auth !== null) headers.Authorization = auth;
  let payload: string | undefined;
  if (typeof body === 'string') payload = body;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) headers['Content-Type'] ??= 'application/json';
  const res = await fetch(`${sim.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Asserts an Okta error body: exact code/summary/link, a fresh errorId, causes as given. */
export function expectOktaError(res: Call, status: number, errorCode: string, errorSummary: string, errorCauses: unknown = []): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ errorCode, errorSummary, errorLink: errorCode, errorId: expect.stringMatching(/^oae[0-9A-Za-z]{22}$/), errorCauses });
}

export const ENROLL_SUMMARY = 'Api validation failed: webAuthnPreregistrationPinRequest|webAuthnPreregistrationCredentialRequest';
export const ACTIVATE_SUMMARY = 'Api validation failed: pinResponseJwe|webAuthnCredResponse';

export interface Station {
  readonly transport: { publicJwk: P384PublicJwk; privateJwk: P384PrivateJwk };
  readonly signing: { publicJwk: P384PublicJwk; privateJwk: P384PrivateJwk };
}

export async function newStation(): Promise<Station> {
  return { transport: await generateP384KeyPair('enc', 'station-transport-1'), signing: await generateP384KeyPair('sig', 'station-sign-1') };
}

export interface EnrollResult {
  readonly credRequests: { authenticatorEnrollmentId: string; credRequestJwe: string; keyId: string }[];
  readonly pinRequestJwe: string;
  readonly userId: string;
  readonly fulfillmentProvider: string;
}

function isEnrollResult(value: unknown): value is EnrollResult {
  return typeof value === 'object' && value !== null && 'credRequests' in value && 'pinRequestJwe' in value;
}

export async function enrollFor(sim: SimulatorHandle, station: Station, userId = ALICE, rpIds?: string[]): Promise<EnrollResult> {
  const res = await call(sim, 'POST', `${PREREG}/enroll`, {
    ...(rpIds === undefined ? {} : { enrollmentRpIds: rpIds }),
    fulfillmentProvider: 'yubico',
    userId,
    yubicoTransportKeyJWK: station.transport.publicJwk,
  });
  expect(res.status, res.text).toBe(200);
  if (!isEnrollResult(res.body)) throw new Error(`enroll answered ${res.text}`);
  return res.body;
}

export interface Opened {
  readonly creds: (OpenedRequest<CredRequestPayload> & { keyId: string })[];
  readonly pin: OpenedRequest<PinRequestPayload>;
}

export async function openRequests(station: Station, enrolled: EnrollResult): Promise<Opened> {
  const creds = await Promise.all(enrolled.credRequests.map(async (r) => ({
    ...(await openCredRequest(r.credRequestJwe, r.keyId, [station.transport.privateJwk])),
    keyId: r.keyId,
  })));
  return { creds, pin: await openPinRequest(enrolled.pinRequestJwe, [station.transport.privateJwk]) };
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;
export const YUBIKEY_5_AAGUID = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** What an authenticator would return for `request`: ES256 credential, UP|UV|AT, packed self attestation. */
export function makeCredential(request: CredRequestPayload, flags = FLAG_UP | FLAG_UV | FLAG_AT) {
  const rpId = request.publicKey.rp.id;
  const clientDataJSON = buildClientDataJSON(request.publicKey.challenge, rpId);
  const credential = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = credential.publicKey.export({ format: 'jwk' });
  const coseKey = encode(new Map<number, number | Uint8Array>([
    [1, 2], [3, -7], [-1, 1],
    [-2, Buffer.from(jwk.x ?? '', 'base64url')],
    [-3, Buffer.from(jwk.y ?? '', 'base64url')],
  ]));
  const credentialId = randomBytes(32);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(credentialId.length);
  const authData = Buffer.concat([
    sha256(Buffer.from(rpId)), Buffer.from([flags, 0, 0, 0, 1]),
    Buffer.from(YUBIKEY_5_AAGUID.replace(/-/g, ''), 'hex'), length, credentialId, coseKey,
  ]);
  const sig = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
  const attestationObject = encode(new Map<string, string | Uint8Array | Map<string, number | Uint8Array>>([
    ['fmt', 'packed'],
    ['attStmt', new Map<string, number | Uint8Array>([['alg', -7], ['sig', sig]])],
    ['authData', authData],
  ]));
  return buildRegistrationResponse({ credentialId, clientDataJSON, attestationObject, rk: true });
}

export const SERIAL = '3632071';
export const PIN = '40718236';

export async function sealCred(
  station: Station,
  opened: OpenedRequest<CredRequestPayload>,
  tweak: { request?: CredRequestPayload; flags?: number; signer?: P384PrivateJwk } = {},
): Promise<string> {
  const request = tweak.request ?? opened.request;
  return sealCredResponse({
    request,
    alg: opened.alg,
    enc: opened.enc,
    credential: makeCredential(request, tweak.flags),
    authenticator: { aaguid: YUBIKEY_5_AAGUID, serial: SERIAL, firmwareVersion: '5.4.3' },
    signer: tweak.signer ?? station.signing.privateJwk,
  });
}

export async function sealPin(
  station: Station,
  opened: OpenedRequest<PinRequestPayload>,
  tweak: { request?: PinRequestPayload; pin?: string; signer?: P384PrivateJwk } = {},
): Promise<string> {
  return sealPinResponse({
    request: tweak.request ?? opened.request,
    alg: opened.alg,
    enc: opened.enc,
    pin: tweak.pin ?? PIN,
    forceChangePin: true,
    serial: SERIAL,
    signer: tweak.signer ?? station.signing.privateJwk,
  });
}

export function activateBody(station: Station, enrolled: EnrollResult, credJwes: string[], pinJwe: string, signingJwks: P384PublicJwk[] = [station.signing.publicJwk]) {
  return {
    credResponses: enrolled.credRequests.map((r, i) => ({ authenticatorEnrollmentId: r.authenticatorEnrollmentId, credResponseJwe: credJwes[i] })),
    fulfillmentProvider: 'yubico',
    pinResponseJwe: pinJwe,
    serial: SERIAL,
    userId: enrolled.userId,
    version: '5.4.3',
    yubicoSigningJwks: signingJwks,
  };
}

/** enroll → open → seal → activate, the happy path; returns the activate call and the enrollment. */
export async function provision(sim: SimulatorHandle, station: Station, userId = ALICE): Promise<{ activated: Call; enrolled: EnrollResult }> {
  const enrolled = await enrollFor(sim, station, userId);
  const opened = await openRequests(station, enrolled);
  const credJwes = await Promise.all(opened.creds.map((c) => sealCred(station, c)));
  const activated = await call(sim, 'POST', `${PREREG}/activate`, activateBody(station, enrolled, credJwes, await sealPin(station, opened.pin)));
  return { activated, enrolled };
}
