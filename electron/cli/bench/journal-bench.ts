// Journal throughput: the steps of a real job (taken from a benchmark run) appended again and again, each
// its own durable commit (WAL, synchronous FULL) on a file in the scratch folder, as the pipeline does.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JournalStep } from '../../core/station/job-steps.js';
import { Journal } from '../../core/station/journal.js';

export interface JournalFigures {
  readonly steps: number;
  readonly elapsedMs: number;
  readonly stepsPerSecond: number;
  /** Mean size of a step's JSON. */
  readonly meanStepBytes: number;
  readonly journalMode: string;
  /** SQLite's synchronous level: 2 = FULL. */
  readonly synchronous: number;
}

const JOBS_PER_BATCH = 50;

/** Appends `sample` (one job's steps) to fresh jobs until `budgetMs` of append time is spent. */
export function benchJournal(sample: readonly JournalStep[], dir: string, budgetMs: number): JournalFigures {
  if (sample.length === 0) throw new Error('The journal benchmark needs the steps of one finished job; no job finished in the runs before it.');
  const journal = Journal.open(join(dir, 'throughput.db'));
  try {
    let steps = 0;
    let elapsedMs = 0;
    let batch = 0;
    while (elapsedMs < budgetMs) {
      batch++;
      const { added } = journal.addOrders(Array.from({ length: JOBS_PER_BATCH }, (_, i) => ({ user: `journal${batch}-${i}@example.com`, source: 'bench' })));
      for (const order of added) {
        const job = journal.startJob({ orderId: order.id, keyPath: 'virtual:bench' });
        const t0 = performance.now();
        for (const step of sample) journal.appendStep(job.id, step.name, step.data);
        elapsedMs += performance.now() - t0;
        steps += sample.length;
        if (elapsedMs >= budgetMs) break;
      }
    }
    const settings = journal.settings();
    return {
      steps,
      elapsedMs,
      stepsPerSecond: steps / (elapsedMs / 1000),
      meanStepBytes: sample.reduce((sum, s) => sum + Buffer.byteLength(JSON.stringify(s.data)), 0) / sample.length,
      journalMode: settings.journalMode,
      synchronous: settings.synchronous,
    };
  } finally {
    journal.close();
  }
}
