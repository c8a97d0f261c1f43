// What a bench run produced, for the people who ask afterwards: a CSV with one row per job and a summary
// (counts, failures by cause, how long a key takes, keys per hour), whole or by batch or day. Both are built
// from a fixed list of columns, so a field that is not on the list (a PIN, a token) can never reach them.
import { stringify } from 'csv-stringify/sync';

export interface JobRecord {
  jobId: string;
  orderId: string;
  user: string;
  userId?: string;
  keyPath: string;
  serial?: string;
  serialSource?: string;
  aaguid?: string;
  model?: string;
  state: string;
  outcome?: 'done' | 'failed' | 'cancelled';
  failureCause?: string;
  failureCode?: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  batchId?: string;
  enrollmentIds: string[];
}

/** Everything a report shows about one job, in column order. Nothing else about a job is ever written. */
export const REPORT_COLUMNS = [
  'jobId', 'batchId', 'orderId', 'user', 'userId', 'keyPath', 'model', 'aaguid', 'serial', 'serialSource',
  'state', 'outcome', 'failureCause', 'failureCode', 'startedAt', 'finishedAt', 'durationMs', 'enrollmentIds',
] as const;

type ReportRow = { [C in (typeof REPORT_COLUMNS)[number]]: C extends 'enrollmentIds' ? string[] : C extends 'durationMs' ? number | undefined : string | undefined };

export interface DurationStats {
  /** How many finished-and-done jobs had a known duration. */
  count: number;
  p50?: number;
  p95?: number;
  mean?: number;
}

export interface FailureCount {
  cause: string;
  count: number;
}

export interface SummaryFigures {
  jobs: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Jobs with no outcome yet. */
  unfinished: number;
  /** Most frequent first. */
  failuresByCause: FailureCount[];
  /** Durations of successful jobs only: a failure's duration says when it gave up, not how long a key takes. */
  durationMs: DurationStats;
  /** Done keys per hour between the first start and the last finish; breaks count, so compare days with days. */
  keysPerHour?: number;
  firstStartedAt?: string;
  lastFinishedAt?: string;
}

export interface SummaryGroup extends SummaryFigures {
  /** The batch id ('(no batch)' for jobs outside one) or the day, YYYY-MM-DD. */
  key: string;
}

export interface ReportSummary extends SummaryFigures {
  by?: 'batch' | 'day';
  groups: SummaryGroup[];
}

export interface SummaryOptions {
  by?: 'batch' | 'day';
  /** IANA zone that decides which day a job belongs to; the station's own zone when absent. */
  timeZone?: string;
}

const NO_BATCH = '(no batch)';
const UNKNOWN_DAY = '(unknown day)';

/** One row per job with a header, RFC 4180 quoting, a BOM so spreadsheets read names as UTF-8, and cells that
 * start like a formula (=, +, -, @) prefixed with ' so a hostile order file cannot run one in the report. */
export function toCsv(jobs: JobRecord[]): string {
  return stringify(
    jobs.map((job) => {
      const row = reportRow(job);
      return { ...row, enrollmentIds: row.enrollmentIds.join(' ') };
    }),
    { header: true, columns: [...REPORT_COLUMNS], bom: true, record_delimiter: 'windows', escape_formulas: true },
  );
}

export function toJson(summary: ReportSummary, jobs: JobRecord[]): string {
  return JSON.stringify({ summary: summaryFields(summary), jobs: jobs.map(reportRow) }, null, 2);
}

export function summarize(jobs: JobRecord[], options: SummaryOptions = {}): ReportSummary {
  const groups: SummaryGroup[] = [];
  if (options.by !== undefined) {
    const groupOf = options.by === 'batch' ? (job: JobRecord) => job.batchId ?? NO_BATCH : dayOf(options.timeZone);
    const members = new Map<string, JobRecord[]>();
    for (const job of jobs) {
      const key = groupOf(job);
      const group = members.get(key);
      if (group) group.push(job);
      else members.set(key, [job]);
    }
    for (const key of [...members.keys()].sort()) groups.push({ key, ...figures(members.get(key) ?? []) });
  }
  return { ...figures(jobs), ...(options.by !== undefined && { by: options.by }), groups };
}

function reportRow(job: JobRecord): ReportRow {
  return {
    jobId: job.jobId,
    batchId: job.batchId,
    orderId: job.orderId,
    user: job.user,
    userId: job.userId,
    keyPath: job.keyPath,
    model: job.model,
    aaguid: job.aaguid,
    serial: job.serial,
    serialSource: job.serialSource,
    state: job.state,
    outcome: job.outcome,
    failureCause: job.failureCause,
    failureCode: job.failureCode,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    durationMs: durationOf(job),
    enrollmentIds: [...job.enrollmentIds],
  };
}

/** Rebuilt field by field, so whatever else a caller attached to the summary object stays out of the file. */
function summaryFields(summary: ReportSummary): ReportSummary {
  return {
    ...figureFields(summary),
    ...(summary.by !== undefined && { by: summary.by }),
    groups: summary.groups.map((group) => ({ key: group.key, ...figureFields(group) })),
  };
}

function figureFields(f: SummaryFigures): SummaryFigures {
  return {
    jobs: f.jobs,
    done: f.done,
    failed: f.failed,
    cancelled: f.cancelled,
    unfinished: f.unfinished,
    failuresByCause: f.failuresByCause.map(({ cause, count }) => ({ cause, count })),
    durationMs: { count: f.durationMs.count, p50: f.durationMs.p50, p95: f.durationMs.p95, mean: f.durationMs.mean },
    keysPerHour: f.keysPerHour,
    firstStartedAt: f.firstStartedAt,
    lastFinishedAt: f.lastFinishedAt,
  };
}

function figures(jobs: JobRecord[]): SummaryFigures {
  const count = (outcome: JobRecord['outcome']) => jobs.filter((job) => job.outcome === outcome).length;
  const done = count('done');

  const causes = new Map<string, number>();
  for (const job of jobs) {
    if (job.outcome !== 'failed') continue;
    const cause = job.failureCause ?? job.failureCode ?? 'unknown';
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
  }
  const failuresByCause = [...causes].map(([cause, n]) => ({ cause, count: n })).sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));

  const durations = jobs
    .filter((job) => job.outcome === 'done')
    .map(durationOf)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);

  const starts = jobs.map((job) => timeOf(job.startedAt)).filter((t): t is number => t !== undefined);
  const finishes = jobs.map((job) => timeOf(job.finishedAt)).filter((t): t is number => t !== undefined);
  const first = starts.reduce<number | undefined>((min, t) => (min === undefined || t < min ? t : min), undefined);
  const last = finishes.reduce<number | undefined>((max, t) => (max === undefined || t > max ? t : max), undefined);
  const hours = first !== undefined && last !== undefined ? (last - first) / 3_600_000 : 0;

  return {
    jobs: jobs.length,
    done,
    failed: count('failed'),
    cancelled: count('cancelled'),
    unfinished: count(undefined),
    failuresByCause,
    durationMs: {
      count: durations.length,
      p50: percentile(durations, 50),
      p95: percentile(durations, 95),
      mean: durations.length > 0 ? durations.reduce((sum, ms) => sum + ms, 0) / durations.length : undefined,
    },
    keysPerHour: hours > 0 ? done / hours : undefined,
    firstStartedAt: first !== undefined ? new Date(first).toISOString() : undefined,
    lastFinishedAt: last !== undefined ? new Date(last).toISOString() : undefined,
  };
}

/** Nearest-rank percentile of ascending values: always one of the observed durations. */
function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The journaled duration, or finish minus start when only the timestamps are known. */
function durationOf(job: JobRecord): number | undefined {
  if (job.durationMs !== undefined && Number.isFinite(job.durationMs) && job.durationMs >= 0) return job.durationMs;
  const start = timeOf(job.startedAt);
  const finish = timeOf(job.finishedAt);
  return start !== undefined && finish !== undefined && finish >= start ? finish - start : undefined;
}

function timeOf(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

function dayOf(timeZone: string | undefined): (job: JobRecord) => string {
  // en-CA formats dates as YYYY-MM-DD, which also sorts by date.
  const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return (job) => {
    const t = timeOf(job.startedAt);
    return t === undefined ? UNKNOWN_DAY : format.format(t);
  };
}
