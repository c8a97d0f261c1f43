// The order import at volume: a CSV like a spreadsheet export (quoted fields, a comma inside a note), parsed
// with parseOrders and queued into a journal on disk in one call, as the import screen does.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseOrders } from '../../core/station/orders-import.js';
import { Journal } from '../../core/station/journal.js';
import { fullGc } from './gc.js';

export interface ImportFigures {
  readonly rows: number;
  readonly csvBytes: number;
  readonly parsedOrders: number;
  readonly parseErrors: number;
  readonly parseMs: number;
  /** Heap kept by the parsed orders (after a full GC when available). */
  readonly parseHeapDeltaBytes: number;
  readonly parseRssDeltaBytes: number;
  readonly gcForced: boolean;
  readonly insertMs: number;
  readonly insertRowsPerSecond: number;
}

export function ordersCsv(rows: number): string {
  const lines = ['User,Order ID,Delivery,Label,Note'];
  const deliveries = ['email', 'email', 'email', 'print', 'hold'];
  for (let i = 1; i <= rows; i++) {
    const note = i % 10 === 0 ? '"Desk 4, second floor"' : '';
    lines.push(`user${i}@example.com,ORD-${String(i).padStart(6, '0')},${deliveries[i % deliveries.length]},"Batch ${Math.ceil(i / 500)}",${note}`);
  }
  return lines.join('\r\n') + '\r\n';
}

export function benchImport(rows: number, dir: string): ImportFigures {
  const text = ordersCsv(rows);
  const gcForced = fullGc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const parsed = parseOrders(text, 'csv');
  const parseMs = performance.now() - t0;
  fullGc();
  const after = process.memoryUsage();

  const journal = Journal.open(join(dir, 'import.db'));
  try {
    const orders = parsed.orders.map((o) => ({ user: o.user, orderId: o.orderId, delivery: o.delivery, label: o.label, note: o.note, source: 'import' }));
    const t1 = performance.now();
    const { added } = journal.addOrders(orders);
    const insertMs = performance.now() - t1;
    return {
      rows,
      csvBytes: Buffer.byteLength(text),
      parsedOrders: parsed.orders.length,
      parseErrors: parsed.errors.length,
      parseMs,
      parseHeapDeltaBytes: after.heapUsed - before.heapUsed,
      parseRssDeltaBytes: after.rss - before.rss,
      gcForced,
      insertMs,
      insertRowsPerSecond: added.length / (insertMs / 1000),
    };
  } finally {
    journal.close();
  }
}
