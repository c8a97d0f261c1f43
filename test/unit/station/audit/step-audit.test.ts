import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUDIT_TYPES } from '../../../../electron/core/station/audit/audit-entry.js';
import { AuditLog } from '../../../../electron/core/station/audit/audit-log.js';
import { AuditSecretError, assertNoSecrets, looksLikeCompactJwe } from '../../../../electron/core/station/audit/secret-guard.js';
import { STEP_AUDIT, auditForStep } from '../../../../electron/core/station/audit/step-audit.js';
import { STEP_SCHEMAS, type StepName } from '../../../../electron/core/station/job-steps.js';
import { Journal } from '../../../../electron/core/station/journal.js';
import { fakeJwe, steppingClock } from './trail.js';

describe('auditForStep', () => {
  it('decides for every journal step: mapped to a known audit type, or skipped on purpose', () => {
    for (const name of Object.keys(STEP_SCHEMAS) as StepName[]) {
      expect(STEP_AUDIT[name], name).toBeDefined();
    }
    expect(Object.keys(STEP_AUDIT).sort()).toEqual(Object.keys(STEP_SCHEMAS).sort());
    expect(STEP_AUDIT.done).toBe('skip');
  });

  it('keeps sealed payloads out and identifies the attestation certificate by its hash', () => {
    const der = Buffer.from('a certificate in DER');
    const made = auditForStep('credential-made', { authenticatorEnrollmentId: 'enr-1', rpId: 'example.okta.com', credentialId: 'Y3JlZA', credResponseJwe: fakeJwe('cred'), attestationCertDer: der.toString('base64url') });
    expect(made).toEqual({
      type: 'credential-made',
      data: { authenticatorEnrollmentId: 'enr-1', rpId: 'example.okta.com', credentialId: 'Y3JlZA', attestationCertSha256: createHash('sha256').update(der).digest('hex') },
    });
    expect(auditForStep('pin-sealed', { pinResponseJwe: fakeJwe('pin'), forceChangePin: true, serial: 'SN1' })).toEqual({ type: 'pin-sealed', data: { forceChangePin: true } });
    const enrolled = auditForStep('enrolled', { pinRequestJwe: fakeJwe('pr'), credRequests: [{ authenticatorEnrollmentId: 'enr-1', keyId: 'k1', credRequestJwe: fakeJwe('cr') }] });
    expect(JSON.stringify(enrolled)).not.toMatch(/Jwe/);
    expect(auditForStep('enroll-started', { userId: 'u1', transportKid: 'kid', recipient: { name: 'Alice', address: { street: '1 Main St' } } })).toEqual({ type: 'enroll-requested', data: { userId: 'u1', transportKid: 'kid' } });
  });

  it.each([
    [{ method: 'email', sent: true }, 'pin-sent'],
    [{ method: 'both', sent: true }, 'pin-sent'],
    [{ method: 'print', sent: false }, 'pin-printed'],
    [{ method: 'hold', sent: false }, 'pin-held'],
  ] as const)('records PIN delivery %o as %s', (data, type) => {
    expect(auditForStep('pin-delivered', data)?.type).toBe(type);
  });

  it('keeps a marked-error code, cause and CTAP status', () => {
    expect(auditForStep('marked-error', { code: 'ctap', cause: 'The key refused the PIN.', ctapStatus: 'CTAP2_ERR_PIN_POLICY_VIOLATION', authenticatorEnrollmentIds: ['enr-1'] })).toEqual({
      type: 'marked-error',
      data: { code: 'ctap', cause: 'The key refused the PIN.', ctapStatus: 'CTAP2_ERR_PIN_POLICY_VIOLATION', authenticatorEnrollmentIds: ['enr-1'] },
    });
  });

  it('only produces types on the closed list', () => {
    const summary = auditForStep('verified', { credentialsPresent: ['example.okta.com'], forcePinChange: true });
    expect(AUDIT_TYPES).toContain(summary!.type);
  });
});

describe('the secret guard', () => {
  it.each([[{ pin: '123456' }], [{ PIN: '123456' }], [{ nested: { pinResponseJwe: 'x' } }], [{ list: [{ token: 'abc' }] }], [{ jwk: { kty: 'EC', d: 'scalar' } }], [{ privateKey: 'k' }]])(
    'refuses a secret-named member in %o without quoting it',
    (data) => {
      expect(() => assertNoSecrets(data)).toThrow(AuditSecretError);
      try {
        assertNoSecrets(data);
      } catch (e) {
        expect((e as Error).message).not.toMatch(/123456|abc|scalar/);
      }
    },
  );

  it('refuses a JWE-shaped value wherever it is', () => {
    expect(() => assertNoSecrets({ note: fakeJwe('x') })).toThrow(/compact JWE/);
    expect(() => assertNoSecrets({ ids: ['a', fakeJwe('y')] })).toThrow(/data\.ids\[1\]/);
  });

  it('lets public facts through, dotted versions and signatures included', () => {
    expect(looksLikeCompactJwe('1.2.3.4.5')).toBe(false);
    expect(() => assertNoSecrets({ firmware: '5.4.3', serial: 'SN1', pinSet: true, jws: 'eyJhbGciOiJFUzM4NCJ9.e30.c2ln' })).not.toThrow();
  });

  it('stops the append: nothing is written', () => {
    const journal = Journal.open(':memory:', { now: steppingClock() });
    try {
      journal.audit.append({ type: 'station-started', data: { version: '0.1.0' } });
      const head = journal.audit.head();
      expect(() => journal.audit.append({ type: 'settings-changed', data: { pin: '1234' } })).toThrow(AuditSecretError);
      expect(() => journal.audit.append({ type: 'pin-sealed', data: { sealed: fakeJwe('pin') } })).toThrow(AuditSecretError);
      expect(journal.audit.head()).toEqual(head);
    } finally {
      journal.close();
    }
  });

  it('refuses an event type not on the list', () => {
    const journal = Journal.open(':memory:');
    try {
      const log: AuditLog = journal.audit;
      expect(() => log.append({ type: 'made-up' as 'job-done' })).toThrow();
    } finally {
      journal.close();
    }
  });
});
