import { CompactSign, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalEntry, hashEntry } from '../../../../electron/core/station/audit/audit-entry.js';
import { SEAL_TYP } from '../../../../electron/core/station/audit/audit-log.js';
import { canonicalJson } from '../../../../electron/core/station/audit/canonical-json.js';
import { verifyAuditChain } from '../../../../electron/core/station/audit/audit-verify.js';
import { Journal } from '../../../../electron/core/station/journal.js';
import { MemorySecretStore } from '../../../../electron/core/secrets/secret-store.js';
import { StationKeyring } from '../../../../electron/core/wire/station-keys.js';
import { buildTrail, openAsAttacker, readRecords, rechain, steppingClock, tempPath, type Trail } from './trail.js';

async function verifyFile(trail: Trail) {
  const journal = Journal.open(trail.path);
  try {
    return await verifyAuditChain(journal.audit.storedRecords(), { signingJwks: trail.keyring.signingJwks() });
  } finally {
    journal.close();
  }
}

async function tampered(edit: (db: ReturnType<typeof openAsAttacker>, trail: Trail) => void | Promise<void>) {
  const trail = await buildTrail();
  const db = openAsAttacker(trail.path);
  try {
    await edit(db, trail);
  } finally {
    db.close();
  }
  return { trail, result: await verifyFile(trail) };
}

describe('the audit chain', () => {
  it('links every entry to the one before and verifies with its seal', async () => {
    const trail = await buildTrail();
    const journal = Journal.open(trail.path);
    try {
      const records = journal.audit.entries();
      expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
      expect(records[0]!.prevHash).toBe(GENESIS_HASH);
      for (const [i, r] of records.entries()) {
        expect(r.hash).toBe(hashEntry(r.prevHash, canonicalEntry(r)));
        if (i > 0) expect(r.prevHash).toBe(records[i - 1]!.hash);
      }
      expect(journal.audit.head()).toEqual({ seq: records.at(-1)!.seq, hash: records.at(-1)!.hash });
      const seal = records.find((r) => r.type === 'batch-sealed')!;
      expect(seal.data).toMatchObject({ batchId: 'batch-1', firstSeq: 1, headSeq: seal.seq - 1, headHash: records[seal.seq - 2]!.hash });
      const result = await verifyAuditChain(records, { signingJwks: trail.keyring.signingJwks() });
      expect(result).toMatchObject({ ok: true, entries: records.length, unsealedTail: trail.tail });
      expect(result.seals).toEqual([expect.objectContaining({ batchId: 'batch-1', seq: trail.sealSeq, valid: true, signatureChecked: true, kid: trail.keyring.signingKey.kid })]);
    } finally {
      journal.close();
    }
  });

  it('writes the order, the job and its outcome with the operator, and never the order note', async () => {
    const trail = await buildTrail();
    const journal = Journal.open(trail.path);
    try {
      const records = journal.audit.entries();
      const job = records.filter((r) => r.orderId === 'o-1').map((r) => r.type);
      expect(job).toEqual(['order-taken', 'job-started', 'key-identified', 'enroll-requested', 'enrolled', 'requests-opened', 'pin-sealed', 'pin-set', 'credential-made', 'activated', 'pin-sent', 'job-done']);
      expect(records.find((r) => r.type === 'key-identified' && r.orderId === 'o-1')).toMatchObject({ actor: 'tech@example.com', batchId: 'batch-1', data: { serial: 'SN-o-1', model: 'keybench Virtual Key' } });
      expect(JSON.stringify(records)).not.toContain('blue box');
    } finally {
      journal.close();
    }
  });

  it('commits the audit entry with its step, or neither', () => {
    const journal = Journal.open(':memory:', { now: steppingClock() });
    try {
      journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      const job = journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
      journal.finishJob(job.id, 'cancelled', 'waiting');
      const before = journal.audit.head();
      expect(() => journal.appendStep(job.id, 'pin-set', {})).toThrow(/finished/);
      expect(journal.audit.head()).toEqual(before);
    } finally {
      journal.close();
    }
  });

  it('refuses UPDATE and DELETE through SQLite', async () => {
    const trail = await buildTrail();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(trail.path);
    try {
      expect(() => db.prepare("UPDATE audit SET type = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit WHERE seq = 1').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});

describe('tampering with the journal file', () => {
  it('finds an edited entry', async () => {
    const { result } = await tampered((db) => {
      db.prepare("UPDATE audit SET entry = replace(entry, 'alice@', 'mallory@') WHERE seq = 1").run();
    });
    expect(result.ok).toBe(false);
    expect(result.firstBad).toMatchObject({ seq: 1, problem: 'edited' });
  });

  it('finds an edited entry whose own hash was recomputed', async () => {
    const { result } = await tampered((db) => {
      const [, second] = readRecords(db);
      const edited = { ...second!, data: { ...second!.data, user: 'mallory@example.com' } };
      const canonical = canonicalEntry(edited);
      db.prepare('UPDATE audit SET entry = ?, hash = ? WHERE seq = 2').run(canonical, hashEntry(edited.prevHash, canonical));
    });
    expect(result.firstBad).toMatchObject({ seq: 2, problem: 'edited' });
    expect(result.firstBad!.detail).toMatch(/entry 3 still links to the original/);
  });

  it('finds an edit under a recomputed chain through the seal', async () => {
    const { result, trail } = await tampered((db) => rechain(db, 2, (r) => (r.seq === 2 ? { ...r, data: { ...r.data, user: 'mallory@example.com' } } : r)));
    expect(result.firstBad).toMatchObject({ seq: trail.sealSeq, problem: 'bad-seal' });
    expect(result.firstBad!.detail).toMatch(/changed after sealing/);
  });

  it('finds a changed hash column', async () => {
    const { result } = await tampered((db) => {
      db.prepare(`UPDATE audit SET hash = '${'ab'.repeat(32)}' WHERE seq = 4`).run();
    });
    expect(result.firstBad).toMatchObject({ seq: 4, problem: 'bad-hash' });
  });

  it('finds a type column that disagrees with its entry', async () => {
    const { result } = await tampered((db) => {
      db.prepare("UPDATE audit SET type = 'job-done' WHERE seq = 5").run();
    });
    expect(result.firstBad).toMatchObject({ seq: 5, problem: 'edited' });
  });

  it('finds a removed entry', async () => {
    const { result } = await tampered((db) => {
      db.prepare('DELETE FROM audit WHERE seq = 6').run();
    });
    expect(result.firstBad).toMatchObject({ seq: 6, problem: 'removed' });
    expect(result.firstBad!.detail).toMatch(/Entry 6 is missing/);
  });

  it('finds removed entries at the start of the log', async () => {
    const { result } = await tampered((db) => {
      db.prepare('DELETE FROM audit WHERE seq <= 2').run();
    });
    expect(result.firstBad).toMatchObject({ seq: 1, problem: 'removed' });
  });

  it('finds two entries swapped', async () => {
    const { result } = await tampered((db) => {
      db.prepare('UPDATE audit SET seq = -1 WHERE seq = 4').run();
      db.prepare('UPDATE audit SET seq = 4 WHERE seq = 5').run();
      db.prepare('UPDATE audit SET seq = 5 WHERE seq = -1').run();
    });
    expect(result.firstBad).toMatchObject({ seq: 4, problem: 'reordered' });
  });

  it('finds a forged entry appended that does not link', async () => {
    const { result, trail } = await tampered((db) => {
      const last = readRecords(db).at(-1)!;
      const forged = { seq: last.seq + 1, at: '2025-03-01T09:00:00.000Z', type: 'job-done', data: {} };
      const prevHash = 'cd'.repeat(32);
      db.prepare('INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?)').run(forged.seq, forged.at, forged.type, canonicalJson(forged), prevHash, hashEntry(prevHash, canonicalJson(forged)));
    });
    expect(result.firstBad).toMatchObject({ seq: trail.sealSeq + trail.tail + 1, problem: 'inserted' });
  });

  it('finds unreadable entry text', async () => {
    const { result } = await tampered((db) => {
      db.prepare("UPDATE audit SET entry = '{not json' WHERE seq = 3").run();
    });
    expect(result.firstBad).toMatchObject({ seq: 3, problem: 'malformed' });
  });

  it('reports a truncated tail after the seal as unsealed, not as tampering', async () => {
    const { result, trail } = await tampered((db) => {
      db.prepare('DELETE FROM audit WHERE seq > ?').run(trailSeal(db));
    });
    expect(result).toMatchObject({ ok: true, unsealedTail: 0 });
    expect(trail.tail).toBeGreaterThan(0);
  });
});

function trailSeal(db: ReturnType<typeof openAsAttacker>): number {
  return (db.prepare("SELECT seq FROM audit WHERE type = 'batch-sealed'").get() as { seq: number }).seq;
}

describe('batch seals', () => {
  it('rejects a seal re-signed with another key over a recomputed chain', async () => {
    const other = await StationKeyring.create(new MemorySecretStore());
    const { result, trail } = await tampered((db, trail) => {
      rechain(db, 2, (r) => (r.seq === 2 ? { ...r, data: { ...r.data, user: 'mallory@example.com' } } : r));
      // The attacker re-signs the seal over the new head with a key of their own, under the station's kid.
      const records = readRecords(db);
      const seal = records.find((r) => r.type === 'batch-sealed')!;
      const head = records.find((r) => r.seq === seal.seq - 1)!;
      const payload = { batchId: 'batch-1', firstSeq: 1, headSeq: head.seq, headHash: head.hash, at: seal.at };
      return forgeSeal(db, seal.seq, payload, other, trail.keyring.signingKey.kid);
    });
    expect(result.firstBad).toMatchObject({ seq: trail.sealSeq, problem: 'bad-seal' });
    expect(result.firstBad!.detail).toMatch(/did not make/);
    expect(result.seals[0]).toMatchObject({ valid: false });
    expect(result.unsealedTail).toBe(result.entries);
  });

  it('rejects a seal by a key the station does not have', async () => {
    const other = await StationKeyring.create(new MemorySecretStore());
    const { trail } = await tampered(() => undefined);
    const journal = Journal.open(trail.path);
    try {
      const result = await verifyAuditChain(journal.audit.storedRecords(), { signingJwks: other.signingJwks() });
      expect(result.firstBad).toMatchObject({ seq: trail.sealSeq, problem: 'bad-seal' });
      expect(result.firstBad!.detail).toMatch(/not one of the station's signing keys/);
    } finally {
      journal.close();
    }
  });

  it('verifies seals made before a key rotation with the retired key', async () => {
    const keyring = await StationKeyring.create(new MemorySecretStore());
    const trail = await buildTrail(tempPath('journal.db'), keyring);
    await keyring.rotate();
    const journal = Journal.open(trail.path, { now: steppingClock(Date.parse('2025-03-02T08:00:00Z')) });
    try {
      await journal.audit.sealBatch('batch-2', { privateJwk: keyring.signingKey, kid: keyring.signingKey.kid });
      const result = await verifyAuditChain(journal.audit.storedRecords(), { signingJwks: keyring.signingJwks() });
      expect(result.ok).toBe(true);
      expect(result.seals.map((s) => [s.batchId, s.valid, s.firstSeq])).toEqual([['batch-1', true, 1], ['batch-2', true, trail.sealSeq + 1]]);
      expect(result.unsealedTail).toBe(0);
    } finally {
      journal.close();
    }
  });

  it('checks seals against the chain only when no keys are given, and says so', async () => {
    const trail = await buildTrail();
    const journal = Journal.open(trail.path);
    try {
      const result = await verifyAuditChain(journal.audit.storedRecords(), {});
      expect(result.ok).toBe(true);
      expect(result.seals[0]).toMatchObject({ valid: true, signatureChecked: false });
    } finally {
      journal.close();
    }
  });
});

async function forgeSeal(db: ReturnType<typeof openAsAttacker>, seq: number, payload: { at: string } & Record<string, unknown>, keyring: StationKeyring, kid: string): Promise<void> {
  const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(payload)))
    .setProtectedHeader({ alg: 'ES384', kid, typ: SEAL_TYP })
    .sign(await importJWK(keyring.signingKey, 'ES384'));
  const { at: _at, ...data } = payload;
  rechain(db, seq, (r) => (r.seq === seq ? { ...r, data: { ...(data as Record<string, string | number>), jws } } : r));
}
