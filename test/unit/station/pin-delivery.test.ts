// PIN delivery end to end on the real simulator and virtual keys: held PINs sent once delivery is
// confirmed (one by one or from a file), resends with Okta's request id, printed mailers whose PIN opens
// the key and is found nowhere else on disk, and a printer that fails.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { summarizeStep } from '../../../electron/core/station/job-detail.js';
import { StationMailerDesk } from '../../../electron/core/station/mailer-desk.js';
import { PinDelivery } from '../../../electron/core/station/pin-delivery.js';
import type { Printer, PrintReceipt, PrintRequest } from '../../../electron/core/station/printing/printer.js';
import { pdfText } from '../helpers/pdf-peer.js';
import { ALICE_ID, mailedPin, openBench, pinOpensKey, startAndSettle, type Bench } from './harness.js';

/** A printer that keeps a copy of what it was given, as paper would. */
class PaperTray implements Printer {
  readonly sheets: Uint8Array[] = [];
  constructor(
    private readonly fail?: string,
    private readonly via: PrintReceipt['via'] = 'cups',
  ) {}
  async list() {
    return [{ name: 'Office', isDefault: true }];
  }
  async print(request: PrintRequest): Promise<PrintReceipt> {
    if (this.fail) throw new Error(this.fail);
    this.sheets.push(Uint8Array.from(request.pdf));
    return { printer: request.printer ?? 'Office', via: this.via, jobRef: `Office-${this.sheets.length}` };
  }
}

function desk(tray: Printer): StationMailerDesk {
  return new StationMailerDesk(() => ({ printer: tray, name: 'Office' }), () => 'a4');
}

function deliveryOf(bench: Bench): PinDelivery {
  return new PinDelivery({ journal: bench.journal, deliveries: bench.journal.deliveries, okta: bench.okta, operator: 'tess' });
}

describe('held PINs', () => {
  it('are sent only once the delivery is confirmed, with Okta request ids journaled', async () => {
    const bench = await openBench({ keys: [{}, {}] });
    try {
      bench.engine.addOrders([
        { user: 'alice@example.com', orderId: 'o-1', delivery: 'hold' },
        { user: 'bob@example.com', orderId: 'o-2', delivery: 'hold' },
      ]);
      await startAndSettle(bench, 2);
      expect(bench.sim.state.outbox()).toEqual([]);
      const held = bench.journal.deliveries.held();
      expect(held.items.map((h) => h.orderId).sort()).toEqual(['o-1', 'o-2']);

      const alice = held.items.find((h) => h.orderId === 'o-1')!;
      await expect(deliveryOf(bench).resend(alice.jobId)).rejects.toThrow(/held until the key is delivered/);
      expect(bench.sim.state.outbox()).toEqual([]);
      const result = await deliveryOf(bench).confirm([alice.jobId]);
      expect(result).toEqual({ sent: 1, failed: [] });
      expect(bench.sim.state.outbox().map((m) => m.userId)).toEqual([ALICE_ID]);
      const [row] = bench.journal.deliveries.of(alice.jobId);
      expect(row).toMatchObject({ method: 'email', outcome: 'sent', operator: 'tess' });
      expect(row!.oktaRequestId).toMatch(/\S/);
      expect(bench.journal.deliveries.held().items.map((h) => h.orderId)).toEqual(['o-2']);
      expect(bench.journal.deliveries.states([alice.jobId]).get(alice.jobId)).toBe('sent');

      const again = await deliveryOf(bench).confirm([alice.jobId]);
      expect(again.sent).toBe(0);
      expect(again.failed[0]!.message).toMatch(/has no held PIN/);
      expect(bench.sim.state.outbox()).toHaveLength(1);
    } finally {
      await bench.close();
    }
  });

  it('are confirmed from a file of delivered orders, each bad line reported with its number', async () => {
    const bench = await openBench({ keys: [{}, {}] });
    try {
      bench.engine.addOrders([
        { user: 'alice@example.com', orderId: 'o-1', delivery: 'hold' },
        { user: 'bob@example.com', orderId: 'o-2', delivery: 'hold' },
      ]);
      await startAndSettle(bench, 2);
      const file = 'Login,Tracking\nBOB@example.com,1Z999\n\nnobody@example.com,1Z000\n,1Z111\n';
      const result = await deliveryOf(bench).confirmFromFile(file);
      expect(result.sent).toBe(1);
      expect(result.failed).toEqual([]);
      expect(result.errors.map((e) => e.line)).toEqual([4, 5]);
      expect(result.errors[0]!.message).toMatch(/nobody@example.com.*matches no held PIN/);
      expect(bench.journal.deliveries.held().items.map((h) => h.orderId)).toEqual(['o-1']);
    } finally {
      await bench.close();
    }
  });
});

describe('resending a PIN', () => {
  it('has Okta mail the PIN of an active key again, and refuses a job that never activated', async () => {
    const bench = await openBench();
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      const pin = await mailedPin(bench.sim, ALICE_ID);
      const [job] = bench.journal.jobsOfOrder('o-1');
      const { requestId } = await deliveryOf(bench).resend(job!.id);
      expect(requestId).toMatch(/\S/);
      const mails = bench.sim.state.outbox().filter((m) => m.userId === ALICE_ID);
      expect(mails).toHaveLength(2);
      expect(readFileSync(mails[1]!.path, 'utf8')).toContain(pin);
      expect(bench.journal.deliveries.of(job!.id)).toHaveLength(1);

      const orphan = bench.journal.startAheadJob({ orderId: bench.engine.addOrders([{ user: 'bob@example.com', orderId: 'o-2' }]).added[0]!.id });
      await expect(deliveryOf(bench).resend(orphan.id)).rejects.toThrow(/never activated/);
    } finally {
      await bench.close();
    }
  });
});

describe('printed PIN mailers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keybench-mailer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('carry the PIN that opens the key, and the PIN is nowhere in the journal files', async () => {
    const tray = new PaperTray();
    const bench = await openBench({ journalPath: join(dir, 'journal.db'), engine: { mailer: desk(tray), orgName: 'Example Corp' } });
    let pin: string;
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1', delivery: 'print' }]);
      await startAndSettle(bench);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      expect(bench.sim.state.outbox()).toEqual([]);
      expect(tray.sheets).toHaveLength(1);
      const text = await pdfText(tray.sheets[0]!);
      const match = /\b(\d{8})\b/.exec(text.replace(/(\d) (?=\d)/g, '$1'));
      expect(match).not.toBeNull();
      pin = match![1]!;
      expect(await pinOpensKey(bench.backend.keys[0]!, pin)).toBe(true);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.steps(job!.id).find((s) => s.name === 'mailer-printed')?.data).toEqual({ printer: 'Office', via: 'cups', jobRef: 'Office-1' });
      expect(bench.journal.deliveries.states([job!.id]).get(job!.id)).toBe('printed');
    } finally {
      await bench.close();
    }
    for (const name of readdirSync(dir)) expect(readFileSync(join(dir, name)).includes(Buffer.from(pin)), name).toBe(false);
  });

  it("printed by the desktop app's spooler are journaled as such, and the record says where", async () => {
    const bench = await openBench({ engine: { mailer: desk(new PaperTray(undefined, 'electron')) } });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1', delivery: 'print' }]);
      await startAndSettle(bench);
      const [job] = bench.journal.jobsOfOrder('o-1');
      const step = bench.journal.steps(job!.id).find((s) => s.name === 'mailer-printed');
      expect(step?.data).toEqual({ printer: 'Office', via: 'electron', jobRef: 'Office-1' });
      expect(summarizeStep(step!)).toBe('PIN mailer printed on Office');
    } finally {
      await bench.close();
    }
  });

  it('are refused before anything is enrolled when no printer is set up', async () => {
    const bench = await openBench();
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1', delivery: 'print' }]);
      await startAndSettle(bench);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.job(job!.id)).toMatchObject({ outcome: 'failed', failureCode: 'printing' });
      expect(bench.journal.job(job!.id)!.failureCause).toMatch(/no printer is set up/);
      expect(bench.sim.state.enrollments(ALICE_ID)).toEqual([]);
    } finally {
      await bench.close();
    }
  });

  it('that fail to print leave no factor to activate: the enrollment is marked errored', async () => {
    const bench = await openBench({ engine: { mailer: desk(new PaperTray('Printer Office is stopped')) } });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1', delivery: 'both' }]);
      await startAndSettle(bench);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.job(job!.id)).toMatchObject({ outcome: 'failed', failureCode: 'printing' });
      expect(bench.journal.job(job!.id)!.failureCause).toMatch(/Printer Office is stopped.*reset the key/);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['FULFILLMENT_ERRORED']);
      expect(bench.sim.state.outbox()).toEqual([]);
    } finally {
      await bench.close();
    }
  });
});
