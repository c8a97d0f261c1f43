// WebAuthn registration: the station's builders (re-exported from client-data.ts, which stays free of
// verifier code) and the verifier Okta's side runs on activate. Verification is @simplewebauthn/server's;
// attestation trust is checked here per call rather than through that library's process-wide root store,
// so two simulated orgs with different roots cannot see each other's settings.
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { convertCertBufferToPEM, decodeAttestationObject, validateCertificatePath } from '@simplewebauthn/server/helpers';
import { fromBase64url } from './base64url.js';
import { originForRpId } from './client-data.js';
import type { RegistrationResponseJSON } from './webauthn-json.js';

export { buildClientDataJSON, buildRegistrationResponse, originForRpId } from './client-data.js';
export type { RegistrationResponseJSON } from './webauthn-json.js';

export interface RegistrationVerification {
  verified: boolean;
  /** Why verification failed, in the verifier's words (never contains key material). */
  reason?: string;
  credentialId?: string;
  /** COSE_Key bytes of the new credential. */
  credentialPublicKey?: Uint8Array;
  aaguid?: string;
  fmt?: string;
  userVerified?: boolean;
  signCount?: number;
}

function failure(reason: string): RegistrationVerification {
  return { verified: false, reason };
}

async function checkAttestationTrust(attestationObjectB64url: string, trustedRoots: string[]): Promise<string | undefined> {
  if (trustedRoots.length === 0) return 'No attestation roots are trusted, so no attestation can be accepted.';
  const bytes = fromBase64url(attestationObjectB64url);
  if (!bytes) return 'The attestationObject is not base64url.';
  const attestation = decodeAttestationObject(bytes);
  const x5c = attestation.get('attStmt').get('x5c');
  if (!x5c || x5c.length === 0) {
    return `The ${attestation.get('fmt')} attestation carries no certificate chain (self or no attestation), so it cannot chain to a trusted root.`;
  }
  try {
    await validateCertificatePath(x5c.map((cert) => convertCertBufferToPEM(cert)), trustedRoots);
    return undefined;
  } catch (error) {
    return `The attestation certificate chain does not lead to a trusted root: ${error instanceof Error ? error.message : 'unknown error'}`;
  }
}

/**
 * Verifies a registration as Okta does on activate: type, challenge, origin `https://<rpId>`, RP ID hash,
 * UP (and UV when required), attestation signature and, when `trustedRoots` (PEM) are given, the
 * attestation chain. Ordinary failures come back as `{ verified: false, reason }`.
 */
export async function verifyRegistration(input: {
  response: RegistrationResponseJSON;
  expectedChallenge: string;
  rpId: string;
  requireUserVerification: boolean;
  trustedRoots?: string[];
  supportedAlgorithmIDs?: number[];
}): Promise<RegistrationVerification> {
  let result;
  try {
    result = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: originForRpId(input.rpId),
      expectedRPID: input.rpId,
      expectedType: 'webauthn.create',
      requireUserPresence: true,
      requireUserVerification: input.requireUserVerification,
      ...(input.supportedAlgorithmIDs ? { supportedAlgorithmIDs: input.supportedAlgorithmIDs } : {}),
    });
  } catch (error) {
    return failure(error instanceof Error ? error.message : 'The registration response could not be verified.');
  }
  if (!result.verified) return failure('The attestation signature does not verify.');
  if (input.trustedRoots) {
    const untrusted = await checkAttestationTrust(input.response.response.attestationObject, input.trustedRoots);
    if (untrusted) return failure(untrusted);
  }
  const info = result.registrationInfo;
  return {
    verified: true,
    credentialId: info.credential.id,
    credentialPublicKey: new Uint8Array(info.credential.publicKey),
    aaguid: info.aaguid,
    fmt: info.fmt,
    userVerified: info.userVerified,
    signCount: info.credential.counter,
  };
}
