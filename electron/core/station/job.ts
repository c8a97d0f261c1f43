// One key's provisioning pipeline (station-design.md): check the key, enroll the user, open Okta's
// requests, seal the PIN *before* setting it, program the key, verify it, activate, deliver the PIN.
// Each step is committed to the journal before the next one relies on it, and a job read back from the
// journal continues where it stopped. Touch-needing commands take a TouchQueue turn; everything else
// runs outside turns. Every call carries a deadline and the job's AbortSignal, so a stuck or removed key
// never blocks the others.
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientPin, type PinUvAuthToken } from '../ctap/client-pin.js';
import { AuthenticatorConfig } from '../ctap/config.js';
import { CRED_PROTECT, PERMISSION } from '../ctap/constants.js';
import { CredentialManagement } from '../ctap/credential-management.js';
import type { Ctap2 } from '../ctap/ctap2.js';
import { CtapError } from '../ctap/errors.js';
import {
  choosePinProtocol,
  clientPinSet,
  enterpriseAttestationEnabled,
  isFido21,
  supportsConfig,
  supportsCredMgmt,
  supportsCredProtect,
  supportsEnterpriseAttestation,
  supportsMinPinLength,
  supportsSetMinPinLength,
  UnsupportedPinProtocolError,
  type AuthenticatorInfo,
} from '../ctap/info.js';
import { attestationObjectBytes, parseAuthenticatorData, type MakeCredentialRequest } from '../ctap/make-credential.js';
import { pinProtocol, sha256 } from '../ctap/pin-protocol.js';
import type { CallOptions } from '../ctap/transport.js';
import type { HidDescriptor } from '../hid/device.js';
import type { OktaClient } from '../okta/client.js';
import { OktaError } from '../okta/errors.js';
import type { OktaUser } from '../okta/models.js';
import { isLoopbackHost, type OktaOrg } from '../okta/org.js';
import { fromBase64url, toBase64url } from '../wire/base64url.js';
import { buildClientDataJSON, buildRegistrationResponse } from '../wire/client-data.js';
import type { CredRequestPayload, PinRequestPayload } from '../wire/payloads.js';
import { openCredRequest, openPinRequest, sealCredResponse, sealPinResponse, type OpenedRequest } from '../wire/station-side.js';
import type { StationKeyring } from '../wire/station-keys.js';
import type { AttestationGate, MailerDesk, MailerRecipient } from './job-ports.js';
import { STEP_PERCENT, type StepData, type StepName } from './job-steps.js';
import { deriveJobState, enrollmentIdsOf, readyToActivate, type JobState } from './job-state.js';
import type { Journal, OrderRow } from './journal.js';
import { identifyKey, UNKNOWN_FIRMWARE, UNKNOWN_SERIAL, type KeyIdentity } from './key-identity.js';
import { PinSecret, type RandomBytes } from './pin-policy.js';
import { ProvisioningError, RESET_INSTRUCTION, toProvisioningError, type ProvisioningErrorView } from './provisioning-errors.js';
import type { TouchQueue } from './touch-queue.js';

export interface StepTimeouts {
  /** A key command that needs no touch. */
  readonly keyMs: number;
  /** A key command waiting for a touch (after the key's turn came). */
  readonly touchMs: number;
  /** One Okta call, retries and rate-limit waits included. */
  readonly oktaMs: number;
}

export const DEFAULT_TIMEOUTS: StepTimeouts = { keyMs: 10_000, touchMs: 30_000, oktaMs: 120_000 };

/** The key a job programs: its descriptor and an open CTAP2 session. */
export interface KeySession {
  readonly descriptor: HidDescriptor;
  readonly ctap: Ctap2;
}

export type JobEvent =
  | { readonly type: 'job-step'; readonly jobId: string; readonly keyPath: string; readonly step: StepName; readonly percent: number }
  /** `jobId` is absent when the touch is for a reset. */
  | { readonly type: 'touch-needed'; readonly jobId?: string; readonly keyPath: string };

export interface JobEnvironment {
  readonly journal: Journal;
  readonly okta: OktaClient;
  readonly keyring: StationKeyring;
  readonly touchQueue: TouchQueue;
  readonly timeouts: StepTimeouts;
  readonly report: (event: JobEvent) => void;
  /** Called after each committed step; if it throws, the job stops dead as if the process were killed (crash tests). */
  readonly afterCommit?: (jobId: string, step: StepName) => void;
  /** PIN randomness (tests); the system CSPRNG by default. */
  readonly random?: RandomBytes;
  /** Checks each key's attestation before its factor may be activated; none: every key is taken as genuine. */
  readonly attestation?: AttestationGate;
  /** Prints PIN mailers for the orders whose delivery is "print" or "both"; none: such orders are refused. */
  readonly mailer?: MailerDesk;
  /** The org's name on printed mailers. */
  readonly orgName?: string;
}

/** Whether an order's PIN goes out on paper. */
export function deliveryPrints(delivery: OrderRow['delivery']): boolean {
  return delivery === 'print' || delivery === 'both';
}

export interface JobOptions {
  /** Okta already lists every enrollment of the job ACTIVE: record that instead of activating again. */
  readonly alreadyActive?: boolean;
  /**
   * Okta is out of reach: program the key from a journaled (enrolled-ahead) enrollment and stop at
   * `awaiting-activation`; a failure is left for sync to clean up in Okta. No Okta call is made.
   */
  readonly offline?: boolean;
}

export type JobResult =
  | { readonly outcome: 'done' }
  /** Offline: the key is programmed; activation and PIN delivery wait for sync. */
  | { readonly outcome: 'awaiting-activation'; readonly expiresAt: string }
  /** `cleanupPending`: Okta could not be cleaned up now; the job stays open in the journal for resume(). */
  | { readonly outcome: 'failed'; readonly error: ProvisioningErrorView; readonly cleanupPending: boolean };

/** The job stopped without any cleanup because the afterCommit hook threw: the engine treats it as killed. */
export class JobAbandoned extends Error {
  override readonly name = 'JobAbandoned';
  constructor(
    readonly jobId: string,
    readonly step: StepName,
    cause: unknown,
  ) {
    super(`Job ${jobId} was abandoned after step ${step}.`, { cause });
  }
}

const PIN_POLICY_VIOLATION = 0x37;
const ENROLL_ATTEMPTS = 3;
const ENROLL_RETRY_MS = 250;

/** Refuses a virtual key against a real org: its secrets live only in this process. */
export function assertKeyMayUseOrg(descriptor: HidDescriptor, org: OktaOrg): void {
  if (descriptor.kind === 'virtual' && !isLoopbackHost(org.hostname)) {
    throw new ProvisioningError({
      code: 'virtual-key-real-org',
      message:
        `Key ${descriptor.path} is a virtual key, whose secrets live only in this station's memory; it is never provisioned against the real org ${org.origin}. ` +
        'Plug in a real security key, or point keybench at its simulator.',
      retryable: false,
    });
  }
}

/** The key-checked rules: a FIDO2 key with PIN support, no PIN set, a PIN protocol this station speaks. */
export function assertKeyFit(info: AuthenticatorInfo): void {
  const pinSupport = clientPinSet(info);
  if (!isFido21(info) && pinSupport === undefined) {
    throw new ProvisioningError({
      code: 'key-unsupported',
      message: 'This key cannot hold a PIN (FIDO 2.0 without clientPin), so it cannot be provisioned. Set it aside and use another model.',
      retryable: false,
    });
  }
  try {
    choosePinProtocol(info);
  } catch (error) {
    if (error instanceof UnsupportedPinProtocolError) throw new ProvisioningError({ code: 'key-unsupported', message: error.message, retryable: false });
    throw error;
  }
  if (pinSupport === true) {
    throw new ProvisioningError({ code: 'key-not-fresh', message: `This key already has a PIN. ${RESET_INSTRUCTION}`, retryable: true });
  }
}

/** A key as checked: fit to provision, or refused with the reason — and, when getInfo answered, its identity either way. */
export type KeyInspection =
  | { readonly fit: true; readonly info: AuthenticatorInfo; readonly identity: KeyIdentity }
  | { readonly fit: false; readonly refusal: ProvisioningError; readonly info?: AuthenticatorInfo; readonly identity?: KeyIdentity };

/**
 * Reads getInfo and applies the key-checked rules. The engine runs it when a key is plugged in (a refused
 * key's tile still names its model and serial), and each job runs it again before touching the key.
 */
export async function inspectKey(key: KeySession, org: OktaOrg, options: CallOptions): Promise<KeyInspection> {
  let info: AuthenticatorInfo | undefined;
  let identity: KeyIdentity | undefined;
  try {
    assertKeyMayUseOrg(key.descriptor, org);
    info = await key.ctap.getInfo(options);
    identity = identifyKey(key.descriptor, info);
    assertKeyFit(info);
    return { fit: true, info, identity };
  } catch (error) {
    return { fit: false, refusal: toProvisioningError(error, 'checking the key'), ...(info ? { info } : {}), ...(identity ? { identity } : {}) };
  }
}

interface OpenedRequests {
  readonly pin: OpenedRequest<PinRequestPayload>;
  readonly creds: readonly (OpenedRequest<CredRequestPayload> & { readonly keyId: string })[];
}

/** Runs (or continues) one job. Rejects only with JobAbandoned; every other failure ends in a JobResult. */
export async function runJob(env: JobEnvironment, jobId: string, key: KeySession | undefined, signal: AbortSignal, options: JobOptions = {}): Promise<JobResult> {
  return new Pipeline(env, jobId, key, signal, options).run();
}

export type EnrollAheadResult =
  | { readonly outcome: 'enrolled-ahead'; readonly expiresAt: string }
  | { readonly outcome: 'failed'; readonly error: ProvisioningErrorView; readonly cleanupPending: boolean };

/**
 * Enroll-ahead: runs a keyless job up to `requests-opened` (the requests stay encrypted in the journal),
 * so a key can be programmed later without Okta. Rejects only with JobAbandoned.
 */
export async function runEnrollAhead(env: JobEnvironment, jobId: string, signal: AbortSignal): Promise<EnrollAheadResult> {
  return new Pipeline(env, jobId, undefined, signal, {}).runAhead();
}

class Pipeline {
  private doing = 'starting';
  private leaveOpen = false;
  private readonly order: OrderRow;
  private readonly keyPath: string;

  constructor(
    private readonly env: JobEnvironment,
    private readonly jobId: string,
    private readonly key: KeySession | undefined,
    private readonly signal: AbortSignal,
    private readonly options: JobOptions,
  ) {
    const job = env.journal.job(jobId);
    const order = job && env.journal.order(job.orderId);
    if (!job || !order) throw new ProvisioningError({ code: 'internal', message: `Job ${jobId} is not in the journal. Restart the station.`, retryable: false });
    this.order = order;
    this.keyPath = job.keyPath;
  }

  async run(): Promise<JobResult> {
    try {
      let state = this.state();
      // A printed delivery whose mailer never came out: the PIN died with the process, so the key is redone.
      if (!readyToActivate(state) || (deliveryPrints(this.order.delivery) && !state.mailerPrinted)) {
        if (!this.key) throw new ProvisioningError({ code: 'interrupted', message: 'The key is needed to finish this job but is not plugged in. Plug it back in.', retryable: true });
        await this.program(this.key);
        state = this.state();
      }
      if (this.options.offline) {
        const expiresAt = state.opened!.expiresAt;
        if (!state.awaitingActivation) this.commit('awaiting-activation', { expiresAt });
        return { outcome: 'awaiting-activation', expiresAt };
      }
      await this.finish(state);
      return { outcome: 'done' };
    } catch (error) {
      if (error instanceof JobAbandoned) throw error;
      return this.fail(error);
    }
  }

  async runAhead(): Promise<EnrollAheadResult> {
    try {
      const enrolled = this.state().enrolled ?? (await this.enroll());
      await this.openRequests(enrolled, this.state());
      return { outcome: 'enrolled-ahead', expiresAt: this.state().opened!.expiresAt };
    } catch (error) {
      if (error instanceof JobAbandoned) throw error;
      return this.fail(error);
    }
  }

  private state(): JobState {
    return deriveJobState(this.env.journal.steps(this.jobId));
  }

  private commit<N extends StepName>(name: N, data: StepData<N>): void {
    this.env.journal.appendStep(this.jobId, name, data);
    this.env.report({ type: 'job-step', jobId: this.jobId, keyPath: this.keyPath, step: name, percent: STEP_PERCENT[name] });
    try {
      this.env.afterCommit?.(this.jobId, name);
    } catch (cause) {
      throw new JobAbandoned(this.jobId, name, cause);
    }
  }

  private keyOptions(touch = false): CallOptions {
    return { timeoutMs: touch ? this.env.timeouts.touchMs : this.env.timeouts.keyMs, signal: this.signal };
  }

  /** An Okta call under the job's signal and the step deadline. */
  private async okta<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = AbortSignal.timeout(this.env.timeouts.oktaMs);
    try {
      return await call(AbortSignal.any([this.signal, deadline]));
    } catch (error) {
      if (deadline.aborted && !this.signal.aborted) {
        throw new ProvisioningError({
          code: 'okta',
          message: `Okta did not answer within ${Math.round(this.env.timeouts.oktaMs / 1000)} s while ${this.doing}. Check the network, then try the key again.`,
          retryable: true,
        });
      }
      throw error;
    }
  }

  // The part that needs the key: from getInfo to a verified, configured key.

  private async program(key: KeySession): Promise<void> {
    let state = this.state();
    this.doing = 'checking the key';
    const inspection = await inspectKey(key, this.env.okta.org, this.keyOptions());
    if (!inspection.fit) throw inspection.refusal;
    const { info, identity } = inspection;
    if (!state.keyChecked) {
      this.commit('key-checked', {
        ...identity,
        versions: [...identity.versions],
        pinSet: clientPinSet(info) === true,
        ...(info.minPinLength === undefined ? {} : { minPinLength: info.minPinLength }),
        ...(info.remainingDiscoverableCredentials === undefined ? {} : { remainingDiscoverableCredentials: info.remainingDiscoverableCredentials }),
      });
    }
    if (deliveryPrints(this.order.delivery)) {
      const unavailable = this.env.mailer ? this.env.mailer.unavailable() : 'no printer is set up';
      if (unavailable !== undefined) {
        throw new ProvisioningError({
          code: 'printing',
          message: `Order ${this.order.id} asks for a printed PIN mailer, but ${unavailable.replace(/\.$/, '')}. Choose a printer in Settings, or change the order's delivery to email or hold, then retry.`,
          retryable: true,
        });
      }
    }
    if (!state.enrolled && this.options.offline) {
      throw new ProvisioningError({ code: 'offline', message: 'Okta is out of reach and this order was not enrolled ahead, so it cannot be programmed now. Wait until Okta is reachable.', retryable: true });
    }
    const enrolled = state.enrolled ?? (await this.enroll());
    state = this.state();
    const userId = state.userId!;
    const requests = await this.openRequests(enrolled, state);
    const firmware = identity.firmware ?? UNKNOWN_FIRMWARE;
    const serial = this.env.journal.job(this.jobId)?.serial ?? UNKNOWN_SERIAL;
    const policy = requests.pin.request.pinPolicy;
    // Decided before sealing: the PIN response must tell Okta what the key will really do.
    const forceChangePin = policy.forceChangePin && supportsSetMinPinLength(info);
    const pinUv = pinProtocol(choosePinProtocol(info));
    const clientPin = new ClientPin(key.ctap, pinUv);

    const minPinLength = Math.max(policy.length, info.minPinLength ?? 4);

    const pin = await this.sealNewPin(requests.pin, info, forceChangePin, serial);
    try {
      await this.setPin(clientPin, pin, requests.pin, info, forceChangePin, serial);
      if (deliveryPrints(this.order.delivery)) {
        await this.printMailer(pin.current, { model: identity.model, serial, minPinLength, forceChangePin, recipient: state.recipient });
      }
      const permissions =
        PERMISSION.MAKE_CREDENTIAL | (supportsConfig(info) ? PERMISSION.AUTHENTICATOR_CONFIG : 0) | (supportsCredMgmt(info) ? PERMISSION.CREDENTIAL_MANAGEMENT : 0);
      const token = (): Promise<PinUvAuthToken> => pin.current.use((p) => clientPin.getPinToken(p, permissions, undefined, this.keyOptions()));

      this.doing = 'configuring the key';
      const rpIds = requests.creds.map((c) => c.request.publicKey.rp.id);
      const minPinLengthRpIds = rpIds.length <= (info.maxRpIdsForSetMinPinLength ?? 0) ? rpIds : [];
      const wantsEnterprise = requests.creds.some((c) => c.request.publicKey.attestation === 'enterprise');
      const firstToken = await token();
      await this.prepareKey(key, info, firstToken, { wantsEnterprise, minPinLength, minPinLengthRpIds });

      for (const [index, opened] of requests.creds.entries()) {
        // A token binds to the first RP it is used with: each further RP needs a fresh one.
        const rpToken = index === 0 ? firstToken : await token();
        await this.makeCredential(key, info, rpToken, opened, { aaguid: identity.aaguid, serial, firmwareVersion: firmware }, userId);
      }

      this.doing = 'verifying the key';
      // An RP-free token for credential management and the last config call; after it the PIN is not needed.
      const verifyToken = await token();
      pin.current.wipe();
      const present = await this.verifyCredentials(key, info, verifyToken, userId);
      if (forceChangePin) {
        // Last of all: once set, the key hands out no more PIN tokens.
        await new AuthenticatorConfig(key.ctap, verifyToken).setMinPinLength({ forceChangePin: true }, this.keyOptions());
      }
      this.commit('key-configured', {
        ...(supportsSetMinPinLength(info) ? { minPinLength } : {}),
        minPinLengthRpIds: supportsSetMinPinLength(info) ? minPinLengthRpIds : [],
        forceChangePin,
        enterpriseAttestation: wantsEnterprise,
      });
      const after = await key.ctap.getInfo(this.keyOptions());
      if ((after.forcePinChange ?? false) !== forceChangePin) {
        throw new ProvisioningError({
          code: 'verify-failed',
          message: `The key reports forcePINChange ${String(after.forcePinChange ?? false)} after it was set to ${String(forceChangePin)}. Set the key aside as faulty.`,
          retryable: false,
        });
      }
      if (supportsSetMinPinLength(info) && (after.minPinLength ?? 0) < minPinLength) {
        throw new ProvisioningError({
          code: 'verify-failed',
          message: `The key reports a minimum PIN length of ${after.minPinLength ?? 'none'} after it was set to ${minPinLength}. Set the key aside as faulty.`,
          retryable: false,
        });
      }
      this.commit('verified', {
        credentialsPresent: present,
        forcePinChange: after.forcePinChange ?? false,
        ...(after.minPinLength === undefined ? {} : { minPinLength: after.minPinLength }),
      });
    } finally {
      pin.current.wipe();
    }
  }

  private async enroll(): Promise<StepData<'enrolled'>> {
    this.doing = 'looking up the user in Okta';
    const user = await this.okta((signal) => this.env.okta.getUser(this.order.user, { signal }));
    const transportKey = this.env.keyring.transportKey;
    this.commit('enroll-started', { userId: user.id, transportKid: transportKey.kid, recipient: recipientOf(user) });
    this.doing = 'enrolling the user';
    let response;
    for (let attempt = 1; ; attempt++) {
      try {
        response = await this.okta((signal) => this.env.okta.enroll({ userId: user.id, transportKey, signal }));
        break;
      } catch (error) {
        if (!(error instanceof OktaError)) throw error;
        // Enroll is repeated only when nothing of the lost call is left: its orphans deleted, or (any other
        // retryable error) the client saw that it created none.
        const clean = error.code === 'enroll-ambiguous' ? await this.deleteOrphans(user.id, error) : error.retryable;
        if (!clean || attempt >= ENROLL_ATTEMPTS) throw error;
        await sleep(ENROLL_RETRY_MS * attempt, undefined, { signal: this.signal });
      }
    }
    const credRequests = response.credRequests.map((c) => {
      if (!c.keyId) throw new ProvisioningError({ code: 'payload', message: `Okta's enroll answer names no keyId for enrollment ${c.authenticatorEnrollmentId}. Report it with the Okta request id.`, retryable: false });
      return { authenticatorEnrollmentId: c.authenticatorEnrollmentId, keyId: c.keyId, credRequestJwe: c.credRequestJwe };
    });
    if (credRequests.length === 0) {
      throw new ProvisioningError({ code: 'payload', message: 'Okta enrolled the user for no RP at all. Check the org\'s preregistration settings.', retryable: false });
    }
    const enrolled = { pinRequestJwe: response.pinRequestJwe, credRequests };
    this.commit('enrolled', enrolled);
    return enrolled;
  }

  /** A lost enroll answer that did create factors: delete them now (true), or leave the job open for resume(). */
  private async deleteOrphans(userId: string, error: OktaError): Promise<boolean> {
    // Without orphan ids Okta could not even be asked what the lost call created: resume() will look again.
    if (error.orphanIds.length > 0) {
      try {
        for (const id of error.orphanIds) await this.okta((signal) => this.env.okta.deleteEnrollment(userId, id, { signal }));
        this.commit('orphans-deleted', { authenticatorEnrollmentIds: [...error.orphanIds] });
        return true;
      } catch (cleanup) {
        if (cleanup instanceof JobAbandoned) throw cleanup;
      }
    }
    this.leaveOpen = true;
    return false;
  }

  private async openRequests(enrolled: StepData<'enrolled'>, state: JobState): Promise<OpenedRequests> {
    this.doing = 'opening Okta\'s encrypted requests';
    const keys = this.env.keyring.transportPrivateKeys();
    const pin = await openPinRequest(enrolled.pinRequestJwe, keys);
    const creds = [];
    for (const c of enrolled.credRequests) creds.push({ ...(await openCredRequest(c.credRequestJwe, c.keyId, keys)), keyId: c.keyId });
    const named = new Set(pin.request.authenticatorEnrollmentIds);
    if (!creds.every((c) => named.has(c.request.authenticatorEnrollmentId) && c.request.userId === pin.request.userId)) {
      throw new ProvisioningError({ code: 'payload', message: 'Okta\'s PIN request and credential requests name different enrollments. Report it with the Okta request id.', retryable: false });
    }
    if (!state.opened) {
      const expiresAt = creds.map((c) => c.request.expiresAt).sort()[0]!;
      this.commit('requests-opened', { rpIds: creds.map((c) => c.request.publicKey.rp.id), pinPolicy: pin.request.pinPolicy, expiresAt });
    }
    return { pin, creds };
  }

  /** Generates a PIN, seals it to Okta's PIN key and journals the sealed copy — before the key ever sees it. */
  private async sealNewPin(request: OpenedRequest<PinRequestPayload>, info: AuthenticatorInfo, forceChangePin: boolean, serial: string): Promise<{ current: PinSecret }> {
    this.doing = 'sealing the PIN';
    const { charset, length } = request.request.pinPolicy;
    const secret = PinSecret.generate({ charset, length }, info.minPinLength ?? 4, this.env.random);
    const pinResponseJwe = await secret.use((pin) =>
      sealPinResponse({ request: request.request, alg: request.alg, enc: request.enc, pin, forceChangePin, serial, signer: this.env.keyring.signingKey }),
    );
    this.commit('pin-sealed', { pinResponseJwe, forceChangePin, serial });
    return { current: secret };
  }

  private async setPin(
    clientPin: ClientPin,
    pin: { current: PinSecret },
    request: OpenedRequest<PinRequestPayload>,
    info: AuthenticatorInfo,
    forceChangePin: boolean,
    serial: string,
  ): Promise<void> {
    this.doing = 'setting the PIN';
    try {
      await pin.current.use((p) => clientPin.setPin(p, this.keyOptions()));
    } catch (error) {
      if (!(error instanceof CtapError) || error.status !== PIN_POLICY_VIOLATION) throw error;
      // The key's own policy refused this PIN: a new one is sealed and journaled before the one retry.
      pin.current.wipe();
      pin.current = (await this.sealNewPin(request, info, forceChangePin, serial)).current;
      this.doing = 'setting the PIN';
      try {
        await pin.current.use((p) => clientPin.setPin(p, this.keyOptions()));
      } catch (again) {
        if (!(again instanceof CtapError) || again.status !== PIN_POLICY_VIOLATION) throw again;
        // The status's own advice ("the station will pick another PIN") no longer holds after the retry.
        throw new ProvisioningError({
          code: 'key-error',
          message: `The key refused two PINs that meet the org's PIN policy (${again.statusName}): its own PIN rules are stricter. Set it aside and use another model.`,
          retryable: false,
          ctapStatus: again.statusName,
        });
      }
    }
    this.commit('pin-set', {});
  }

  private async prepareKey(
    key: KeySession,
    info: AuthenticatorInfo,
    token: PinUvAuthToken,
    plan: { wantsEnterprise: boolean; minPinLength: number; minPinLengthRpIds: readonly string[] },
  ): Promise<void> {
    const config = new AuthenticatorConfig(key.ctap, token);
    if (plan.wantsEnterprise && !enterpriseAttestationEnabled(info)) {
      if (!supportsEnterpriseAttestation(info) || !supportsConfig(info)) {
        throw new ProvisioningError({
          code: 'key-unsupported',
          message: 'Okta asks for enterprise attestation, which this key model cannot give. Use an enterprise-attestation model for this org.',
          retryable: false,
        });
      }
      await config.enableEnterpriseAttestation(this.keyOptions());
    }
    if (supportsSetMinPinLength(info)) {
      // The PIN already meets this length, so this does not force a change; forceChangePin comes last.
      await config.setMinPinLength(
        { minPinLength: plan.minPinLength, ...(plan.minPinLengthRpIds.length > 0 ? { rpIds: plan.minPinLengthRpIds } : {}) },
        this.keyOptions(),
      );
    }
  }

  private async makeCredential(
    key: KeySession,
    info: AuthenticatorInfo,
    token: PinUvAuthToken,
    opened: OpenedRequests['creds'][number],
    authenticator: { aaguid: string; serial: string; firmwareVersion: string },
    userId: string,
  ): Promise<void> {
    const { request } = opened;
    const pk = request.publicKey;
    const clientDataJSON = buildClientDataJSON(pk.challenge, pk.rp.id);
    const rk = pk.authenticatorSelection.residentKey !== 'discouraged';
    const wantsCredProtect = supportsCredProtect(info);
    const makeRequest: MakeCredentialRequest = {
      clientDataHash: sha256(clientDataJSON),
      rp: { id: pk.rp.id, name: pk.rp.name },
      user: { id: decode(pk.user.id, 'user.id'), name: pk.user.name, displayName: pk.user.displayName },
      pubKeyCredParams: pk.pubKeyCredParams.map((p) => ({ type: p.type, alg: p.alg })),
      excludeList: pk.excludeCredentials.map((c) => ({ type: c.type, id: decode(c.id, 'excludeCredentials id') })),
      extensions: {
        ...(wantsCredProtect ? { credProtect: CRED_PROTECT[pk.extensions.credentialProtectionPolicy] } : {}),
        ...(pk.extensions.minPinLength && supportsMinPinLength(info) ? { minPinLength: true as const } : {}),
      },
      options: { rk },
      pinUvAuthToken: token,
      ...(pk.attestation === 'enterprise' ? { enterpriseAttestation: 2 as const } : {}),
    };
    this.doing = `creating the credential for ${pk.rp.id}`;
    const response = await this.withTouch((options) => key.ctap.makeCredential(makeRequest, options));
    const authData = parseAuthenticatorData(response.authData);
    const attested = authData.attestedCredentialData;
    if (!attested) throw new ProvisioningError({ code: 'verify-failed', message: 'The key answered without a new credential. Set it aside as faulty.', retryable: false });
    if (pk.authenticatorSelection.userVerification === 'required' && !authData.flags.userVerified) {
      throw new ProvisioningError({ code: 'verify-failed', message: 'The key made the credential without verifying the PIN, which Okta requires. Set it aside.', retryable: false });
    }
    const certificate = firstCertificate(response.attStmt);
    const attestation = await this.checkAttestation({ fmt: response.fmt, attStmt: response.attStmt, authData: response.authData, clientDataHash: makeRequest.clientDataHash, aaguid: authenticator.aaguid }, pk.rp.id, certificate, userId);
    const credential = buildRegistrationResponse({
      credentialId: attested.credentialId,
      clientDataJSON,
      attestationObject: attestationObjectBytes(response),
      rk,
    });
    this.doing = 'sealing the credential';
    const credResponseJwe = await sealCredResponse({
      request,
      alg: opened.alg,
      enc: opened.enc,
      credential,
      authenticator,
      signer: this.env.keyring.signingKey,
    });
    this.commit('credential-made', {
      authenticatorEnrollmentId: request.authenticatorEnrollmentId,
      rpId: pk.rp.id,
      credentialId: credential.id,
      credResponseJwe,
      ...(certificate ? { attestationCertDer: toBase64url(certificate) } : {}),
      ...(attestation ? { attestation } : {}),
    });
  }

  /** The attestation gate: an untrusted key is journaled with its certificate and, under `require`, stops here. */
  private async checkAttestation(
    input: Parameters<AttestationGate['check']>[0],
    rpId: string,
    certificate: Uint8Array | undefined,
    userId: string,
  ): Promise<StepData<'credential-made'>['attestation']> {
    const gate = this.env.attestation;
    if (!gate) return undefined;
    this.doing = 'checking the key\'s attestation';
    const verdict = await gate.check(input);
    const view = {
      trusted: verdict.trusted,
      reason: verdict.reason,
      ...(verdict.source ? { source: verdict.source } : {}),
      ...(verdict.rootSubject ? { rootSubject: verdict.rootSubject } : {}),
      ...(verdict.leafSubject ? { leafSubject: verdict.leafSubject } : {}),
      ...(verdict.mdsStatus ? { mdsStatus: verdict.mdsStatus } : {}),
    };
    if (!verdict.trusted && gate.policy === 'require') {
      this.commit('attestation-rejected', { rpId, verdict: view, ...(certificate ? { attestationCertDer: toBase64url(certificate) } : {}) });
      throw new ProvisioningError({
        code: 'untrusted-key',
        message: `keybench cannot confirm this key is genuine: ${verdict.reason} Its factor for ${userId} is not activated. The key is quarantined: set it aside and report it to the vendor.`,
        retryable: false,
      });
    }
    return view;
  }

  /** Prints the PIN mailer while the PIN still exists; it must reach the printer before the PIN is wiped. */
  private async printMailer(
    pin: PinSecret,
    key: { model: string; serial: string; minPinLength: number; forceChangePin: boolean; recipient: MailerRecipient | undefined },
  ): Promise<void> {
    this.doing = 'printing the PIN mailer';
    const org = this.env.okta.org;
    const content = {
      recipient: key.recipient ?? { name: this.order.user },
      org: { name: this.env.orgName ?? org.hostname, signInUrl: org.origin },
      key: { model: key.model, ...(key.serial === UNKNOWN_SERIAL ? {} : { serial: key.serial }) },
      orderId: this.order.id,
      minPinLength: key.minPinLength,
      forceChangePin: key.forceChangePin,
      issuedAt: new Date(),
    };
    let receipt;
    try {
      receipt = await pin.use((p) => this.env.mailer!.print(content, p));
    } catch (error) {
      throw new ProvisioningError({
        code: 'printing',
        message: `The PIN mailer did not print (${error instanceof Error ? error.message : String(error)}). The key already holds a PIN nobody can learn now: reset the key, fix the printer, then provision it again.`,
        retryable: false,
      });
    }
    this.commit('mailer-printed', { printer: receipt.printer, via: receipt.via, ...(receipt.jobRef ? { jobRef: receipt.jobRef } : {}) });
  }

  /** One touch turn: wait for it, wink the key, ask for the touch once, run the command. */
  private async withTouch<T>(command: (options: CallOptions) => Promise<T>): Promise<T> {
    const turn = await this.env.touchQueue.acquire(this.keyPath, this.signal);
    try {
      const transport = this.key!.ctap.transport;
      // A wink only helps the technician find the key; a key that cannot wink is still provisioned.
      if (transport.canWink) await transport.wink().catch(() => undefined);
      // Asked before the command is sent, so a touch that follows the prompt at once counts as the key's
      // early touch. Never asked again for the same command: keepalives swing between PROCESSING and
      // UPNEEDED while the key works, and a second prompt would send the technician back to a key already touched.
      this.env.report({ type: 'touch-needed', jobId: this.jobId, keyPath: this.keyPath });
      return await command({ ...this.keyOptions(true), signal: AbortSignal.any([this.signal, turn.signal]) });
    } finally {
      turn.release();
    }
  }

  /** Each enrollment's credential is on the key, and nothing else is (a key that was not fresh after all). */
  private async verifyCredentials(key: KeySession, info: AuthenticatorInfo, token: PinUvAuthToken, userId: string): Promise<string[]> {
    const made = [...this.state().credentials.values()];
    if (!supportsCredMgmt(info)) return [];
    const credMgmt = new CredentialManagement(key.ctap, token);
    const rps = await credMgmt.enumerateRps(this.keyOptions());
    const present: string[] = [];
    for (const credential of made) {
      const rp = rps.find((r) => r.rp.id === credential.rpId);
      const stored = rp ? await credMgmt.enumerateCredentials(rp.rpIdHash, this.keyOptions()) : [];
      if (!stored.some((s) => toBase64url(s.credentialId.id) === credential.credentialId)) {
        throw new ProvisioningError({
          code: 'verify-failed',
          message: `The credential for ${credential.rpId} (user ${userId}) is not on the key after it was made. Set the key aside as faulty.`,
          retryable: false,
        });
      }
      present.push(credential.rpId);
    }
    if (rps.length > made.length) {
      throw new ProvisioningError({ code: 'key-not-fresh', message: `The key holds credentials for other sites as well. ${RESET_INSTRUCTION}`, retryable: true });
    }
    return present;
  }

  // The part that needs only the journal and Okta.

  private async finish(state: JobState): Promise<void> {
    const userId = state.userId!;
    const ids = enrollmentIdsOf(state);
    if (!state.activated) {
      this.doing = 'activating the factor';
      if (!this.options.alreadyActive) {
        const sealed = state.pinSealed!;
        await this.okta((signal) =>
          this.env.okta.activate({
            userId,
            serial: sealed.serial,
            version: state.keyChecked?.firmware ?? UNKNOWN_FIRMWARE,
            pinResponseJwe: sealed.pinResponseJwe,
            credResponses: ids.map((id) => ({ authenticatorEnrollmentId: id, credResponseJwe: state.credentials.get(id)!.credResponseJwe })),
            signingJwks: this.env.keyring.signingJwks(),
            signal,
          }),
        );
      }
      this.commit('activated', { authenticatorEnrollmentIds: ids });
    }
    if (!state.pinDelivered) {
      const method = this.order.delivery;
      // 'print' went out with the mailer while the key was programmed; 'hold' waits for a confirmed delivery.
      const send = method === 'email' || method === 'both';
      let requestId: string | undefined;
      if (send) {
        this.doing = 'having Okta send the PIN';
        ({ requestId } = await this.okta((signal) => this.env.okta.sendPin({ userId, authenticatorEnrollmentId: ids[0]!, signal })));
      }
      this.commit('pin-delivered', { method, sent: send, ...(requestId ? { oktaRequestId: requestId } : {}) });
    }
    this.commit('done', {});
    this.env.journal.finishJob(this.jobId, 'done', 'done');
  }

  // Failure: the factor is marked errored in Okta (journaled), the job and its order end failed.

  private async fail(thrown: unknown): Promise<Extract<JobResult, { outcome: 'failed' }>> {
    const reason: unknown = this.signal.aborted ? this.signal.reason : undefined;
    const error = reason instanceof ProvisioningError ? reason : toProvisioningError(thrown, this.doing);
    const state = this.state();
    const ids = enrollmentIdsOf(state);
    if (ids.length > 0 && !state.activated && !state.markedError && this.options.offline) {
      // Okta cannot be told now: the job stays open and sync (resume) marks the factor errored.
      this.leaveOpen = true;
    } else if (ids.length > 0 && !state.activated && !state.markedError) {
      try {
        // Not under the job's signal: a removed key must still have its factor marked.
        for (const id of ids) await this.env.okta.markError(state.userId!, id, { signal: AbortSignal.timeout(this.env.timeouts.oktaMs) });
      } catch (cleanup) {
        this.env.journal.recordAttempt(this.jobId, 'marked-error', toProvisioningError(cleanup, 'marking the factor as errored').toView());
        this.leaveOpen = true;
      }
      if (!this.leaveOpen) {
        this.commit('marked-error', {
          code: error.code,
          cause: error.message,
          ...(error.ctapStatus === undefined ? {} : { ctapStatus: error.ctapStatus }),
          authenticatorEnrollmentIds: ids,
        });
      }
    }
    if (this.leaveOpen) {
      this.env.journal.recordAttempt(this.jobId, 'cleanup-pending', error.toView());
      return { outcome: 'failed', error: error.toView(), cleanupPending: true };
    }
    if (state.activated) {
      // The factor is active and the key programmed: the order is fulfilled, only the PIN mail is missing.
      // Redoing the order would enroll the user a second time, so the order ends done and the job says what to do.
      const notSent = new ProvisioningError({
        code: 'pin-not-sent',
        message: `The key is active in Okta, but Okta did not send the PIN: ${error.message} Keep the key; have the PIN sent again from the user's Okta profile (Pre-enrolled authenticators) or with send-pin once Okta answers.`,
        retryable: false,
        ...(error.oktaRequestId === undefined ? {} : { oktaRequestId: error.oktaRequestId }),
      });
      this.env.journal.finishJob(this.jobId, 'failed', 'done', notSent.toView());
      return { outcome: 'failed', error: notSent.toView(), cleanupPending: false };
    }
    this.env.journal.finishJob(this.jobId, 'failed', 'failed', error.toView());
    return { outcome: 'failed', error: error.toView(), cleanupPending: false };
  }
}

function decode(value: string, what: string): Uint8Array {
  const bytes = fromBase64url(value);
  if (!bytes) throw new ProvisioningError({ code: 'payload', message: `Okta's credential request has a malformed ${what}. Report it with the Okta request id.`, retryable: false });
  return bytes;
}

/** Who a printed mailer goes to, from the Okta profile: name, email and the postal address where Okta has one. */
function recipientOf(user: OktaUser): MailerRecipient {
  const p = user.profile;
  const name = p.displayName?.trim() || [p.firstName, p.lastName].filter((part) => part?.trim()).join(' ') || p.login;
  const address = {
    ...(p.streetAddress ? { street: p.streetAddress } : {}),
    ...(p.city ? { city: p.city } : {}),
    ...(p.state ? { state: p.state } : {}),
    ...(p.zipCode ? { postalCode: p.zipCode } : {}),
    ...(p.countryCode ? { country: p.countryCode } : {}),
  };
  return { name, ...(p.email ? { email: p.email } : {}), ...(Object.keys(address).length > 0 ? { address } : {}) };
}

function firstCertificate(attStmt: ReadonlyMap<string | number, unknown>): Uint8Array | undefined {
  const x5c = attStmt.get('x5c');
  if (!Array.isArray(x5c)) return undefined;
  const first: unknown = x5c[0];
  return first instanceof Uint8Array ? first : undefined;
}
