// The mailer and label every document test prints: one fictional recipient and key, so the unit tests and the
// print e2e specs read the same documents.
import type { KeyLabelInput } from '../../../electron/core/station/documents/key-label.js';
import type { PinMailerInput, SampleMailerInput } from '../../../electron/core/station/documents/pin-mailer.js';

export const SAMPLE_PIN = '739104';
export const SAMPLE_ORDER_ID = 'ORD-2025-0042';

export function sampleMailer(overrides: Partial<PinMailerInput> = {}): PinMailerInput {
  return {
    pin: SAMPLE_PIN,
    paper: 'a4',
    recipient: {
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      address: { street: '12 Analytical Way', city: 'London', postalCode: 'N1 9GU', country: 'United Kingdom' },
    },
    org: { name: 'Example Corp', signInUrl: 'https://example.okta.com' },
    key: { model: 'YubiKey 5 NFC', serial: '23456789' },
    orderId: SAMPLE_ORDER_ID,
    minPinLength: 8,
    forceChangePin: true,
    issuedAt: new Date('2025-03-14T09:30:00Z'),
    station: 'bench-1',
    ...overrides,
  };
}

/** What the station hands `renderSampleMailer`: the same org and dates as the sample mailer above. */
export function sampleMailerSettings(overrides: Partial<SampleMailerInput> = {}): SampleMailerInput {
  return {
    paper: 'a4',
    org: { name: 'Example Corp', signInUrl: 'https://example.okta.com' },
    minPinLength: 8,
    forceChangePin: true,
    issuedAt: new Date('2025-03-14T09:30:00Z'),
    station: 'bench-1',
    ...overrides,
  };
}

export function sampleLabel(overrides: Partial<KeyLabelInput> = {}): KeyLabelInput {
  return {
    model: 'YubiKey 5 NFC',
    serial: '23456789',
    user: 'ada.lovelace@example.com',
    enrollmentId: 'fwf1a2b3c4d5e6f7g8h9',
    orderId: SAMPLE_ORDER_ID,
    batchId: 'B-7',
    issuedAt: new Date('2025-03-14T09:30:00Z'),
    ...overrides,
  };
}
