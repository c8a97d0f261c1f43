// The one error type a provisioning job ends with. Whatever failed underneath (the key, Okta, the wire
// profile, the station itself), the technician gets what happened and the single next step, and the
// journal gets a stable code, the CTAP status name and Okta's request id for support. Never a secret.
import { CancelledError, CtapError, CtapHidError, DeviceGoneError, KeyTimeoutError, ProtocolError } from '../ctap/errors.js';
import { OktaError } from '../okta/errors.js';
import { WireError } from '../wire/errors.js';

export type ProvisioningErrorCode =
  | 'virtual-key-real-org'
  | 'key-not-fresh'
  | 'key-unsupported'
  | 'key-removed'
  | 'key-error'
  | 'key-timeout'
  | 'reset-not-allowed'
  | 'verify-failed'
  | 'okta'
  | 'payload'
  | 'interrupted'
  | 'enrollment-expired'
  | 'pin-not-sent'
  | 'untrusted-key'
  | 'printing'
  | 'offline'
  | 'cancelled'
  | 'internal';

export interface ProvisioningErrorInit {
  readonly code: ProvisioningErrorCode;
  /** What happened, then the single next step. */
  readonly message: string;
  readonly retryable: boolean;
  /** The CTAP status name, e.g. CTAP2_ERR_KEY_STORE_FULL. */
  readonly ctapStatus?: string;
  readonly oktaRequestId?: string;
}

/** A plain copy for events, IPC and the journal. */
export interface ProvisioningErrorView {
  readonly code: ProvisioningErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly ctapStatus?: string;
  readonly oktaRequestId?: string;
}

export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
  readonly code: ProvisioningErrorCode;
  readonly retryable: boolean;
  readonly ctapStatus: string | undefined;
  readonly oktaRequestId: string | undefined;

  constructor(init: ProvisioningErrorInit) {
    super(init.message);
    this.code = init.code;
    this.retryable = init.retryable;
    this.ctapStatus = init.ctapStatus;
    this.oktaRequestId = init.oktaRequestId;
  }

  toView(): ProvisioningErrorView {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.ctapStatus === undefined ? {} : { ctapStatus: this.ctapStatus }),
      ...(this.oktaRequestId === undefined ? {} : { oktaRequestId: this.oktaRequestId }),
    };
  }
}

/** bench-ux.md wording: the technician's next step for a key that is not factory-fresh. */
export const RESET_INSTRUCTION = 'Unplug it, plug it back in, and touch it within 10 seconds to reset.';

export const KEY_REMOVED_MESSAGE = 'The key was removed before it was finished. Retry its order on a ready key.';

export function keyRemovedError(): ProvisioningError {
  return new ProvisioningError({ code: 'key-removed', message: KEY_REMOVED_MESSAGE, retryable: true });
}

/**
 * Translates whatever a step threw into a ProvisioningError. `doing` names the step in plain words
 * ("creating the credential") for the message.
 */
export function toProvisioningError(error: unknown, doing: string): ProvisioningError {
  if (error instanceof ProvisioningError) return error;
  if (error instanceof DeviceGoneError) return keyRemovedError();
  if (error instanceof CtapError) {
    return new ProvisioningError({
      code: 'key-error',
      message: `The key failed while ${doing}: ${error.statusName}. ${error.advice || 'Try again; if it keeps failing, set this key aside.'}`,
      retryable: false,
      ctapStatus: error.statusName,
    });
  }
  if (error instanceof KeyTimeoutError) {
    return new ProvisioningError({ code: 'key-timeout', message: `The key stopped answering while ${doing}. Unplug it, plug it back in and try again.`, retryable: true });
  }
  if (error instanceof CtapHidError || error instanceof ProtocolError) {
    return new ProvisioningError({ code: 'key-error', message: `The key sent a broken answer while ${doing}. Unplug it, plug it back in and try again; if it repeats, set it aside.`, retryable: true });
  }
  if (error instanceof CancelledError) {
    return new ProvisioningError({ code: 'cancelled', message: `The station cancelled ${doing}. Start the key again when ready.`, retryable: true });
  }
  if (error instanceof OktaError) {
    return new ProvisioningError({
      code: 'okta',
      message: `Okta refused ${doing}: ${error.message}`,
      retryable: error.retryable,
      ...(error.requestId === undefined ? {} : { oktaRequestId: error.requestId }),
    });
  }
  if (error instanceof WireError) {
    return new ProvisioningError({ code: 'payload', message: `An encrypted payload could not be handled while ${doing}: ${error.message}`, retryable: false });
  }
  return new ProvisioningError({
    code: 'internal',
    message: `The station hit an unexpected error while ${doing}${error instanceof Error ? ` (${error.name})` : ''}. Set the key aside and report it.`,
    retryable: false,
  });
}
