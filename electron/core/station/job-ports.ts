// What a job needs from the station beyond the key, Okta and the journal: the attestation gate that decides
// whether a key is genuine before its factor is activated, and the desk that prints a PIN mailer while the
// PIN exists. Both are optional so a station without a printer or trust store still provisions by email.
import type { AttestationInput, AttestationVerdict } from '../trust/attestation-verdict.js';
import type { PrintVia } from './printing/printer.js';

export type AttestationPolicy = 'require' | 'record-only';

export interface AttestationGate {
  /** `require`: an untrusted key is never activated; `record-only`: the verdict is kept and the job goes on. */
  readonly policy: AttestationPolicy;
  check(input: AttestationInput): Promise<AttestationVerdict>;
}

export interface MailerRecipient {
  readonly name: string;
  readonly email?: string;
  readonly address?: { readonly street?: string; readonly city?: string; readonly state?: string; readonly postalCode?: string; readonly country?: string };
}

/** Everything on a PIN mailer except the PIN. */
export interface MailerContent {
  readonly recipient: MailerRecipient;
  readonly org: { readonly name: string; readonly signInUrl: string };
  readonly key: { readonly model: string; readonly serial?: string };
  readonly orderId: string;
  readonly minPinLength: number;
  readonly forceChangePin: boolean;
  readonly issuedAt: Date;
}

export interface MailerReceipt {
  readonly printer: string;
  readonly via: PrintVia;
  readonly jobRef?: string;
}

export interface MailerDesk {
  /** Why no mailer can be printed right now (no printer chosen, …), in words the technician can act on; undefined when one can. */
  unavailable(): string | undefined;
  /** Renders the mailer with `pin`, prints it and zeroes the document; rejects when it did not reach the printer. */
  print(content: MailerContent, pin: string): Promise<MailerReceipt>;
}
