import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../../electron/core/station/audit/audit-verify.js';
import { looksLikeCompactJwe } from '../../../../electron/core/station/audit/secret-guard.js';
import { ALICE_ID, mailedPin, openBench, startAndSettle } from '../harness.js';

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

describe('a whole job on a virtual key', () => {
  it('leaves an audit trail with the key, the delivery and the outcome, and no PIN or sealed payload', async () => {
    const bench = await openBench();
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1', delivery: 'email' }]);
      await startAndSettle(bench);
      const pin = await mailedPin(bench.sim, ALICE_ID);
      const records = bench.journal.audit.entries();
      const types = records.map((r) => r.type);
      expect(types).toEqual(expect.arrayContaining(['order-taken', 'job-started', 'key-identified', 'enroll-requested', 'enrolled', 'pin-sealed', 'pin-set', 'credential-made', 'activated', 'pin-sent', 'job-done']));
      expect(types.indexOf('pin-set')).toBeLessThan(types.indexOf('activated'));
      expect(records.find((r) => r.type === 'key-identified')!.data).toMatchObject({ serialSource: 'usb', model: expect.any(String), serial: expect.any(String) });
      // Every entry's content, without the chain's own hashes (hex that could contain any digit run).
      const content = records.flatMap(({ prevHash: _p, hash: _h, ...entry }) => strings(entry));
      expect(content.filter((s) => s.includes(pin))).toEqual([]);
      expect(content.filter(looksLikeCompactJwe)).toEqual([]);
      expect(JSON.stringify(records)).not.toMatch(/Jwe/);
      const sealed = await bench.journal.audit.sealBatch('bench-run', { privateJwk: bench.keyring.signingKey, kid: bench.keyring.signingKey.kid });
      const result = await verifyAuditChain(bench.journal.audit.entries(), { signingJwks: bench.keyring.signingJwks() });
      expect(result).toMatchObject({ ok: true, unsealedTail: 0, seals: [expect.objectContaining({ seq: sealed.seq, valid: true })] });
    } finally {
      await bench.close();
    }
  });
});
