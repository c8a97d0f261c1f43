// Reports go to people who open them in a spreadsheet: one row per job, quoting that survives commas, quotes
// and line breaks, no secret ever, and summaries that answer "how many, why did they fail, how fast".
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { REPORT_COLUMNS, summarize, toCsv, toJson, type JobRecord } from '../../../electron/core/station/report.js';

let sequence = 0;
function job(overrides: Partial<JobRecord> = {}): JobRecord {
  sequence++;
  return {
    jobId: `job-${sequence}`,
    orderId: `ORD-${sequence}`,
    user: `user${sequence}@example.com`,
    keyPath: `/dev/hidraw${sequence % 8}`,
    state: 'done',
    outcome: 'done',
    startedAt: '2024-03-01T09:00:00.000Z',
    finishedAt: '2024-03-01T09:01:00.000Z',
    durationMs: 60_000,
    enrollmentIds: [`fwf${sequence}`],
    ...overrides,
  };
}

function readCsv(csv: string): Record<string, string>[] {
  return parse(csv, { bom: true, columns: true }) as Record<string, string>[];
}

describe('toCsv', () => {
  it('has a header of the report columns and one row per job', () => {
    const jobs = [job(), job({ outcome: 'failed', state: 'marked-error', failureCause: 'key-removed' }), job({ outcome: undefined, state: 'pin-sealed' })];
    const csv = toCsv(jobs);
    const [header] = parse(csv, { bom: true, to_line: 1 }) as string[][];
    expect(header).toEqual([...REPORT_COLUMNS]);
    const rows = readCsv(csv);
    expect(rows.map((r) => r.jobId)).toEqual(jobs.map((j) => j.jobId));
    expect(rows[1]).toMatchObject({ outcome: 'failed', failureCause: 'key-removed', state: 'marked-error' });
    expect(rows[2]?.outcome).toBe('');
  });

  it('quotes commas, double quotes and line breaks so they come back unchanged', () => {
    const tricky = job({ user: 'o"brien@example.com', model: 'Key, "Pro" edition', failureCause: 'line one\nline two\r\nline three', enrollmentIds: ['fwf1', 'fwf2'] });
    const csv = toCsv([tricky]);
    expect(csv).toContain('"Key, ""Pro"" edition"');
    expect(readCsv(csv)[0]).toMatchObject({
      user: 'o"brien@example.com',
      model: 'Key, "Pro" edition',
      failureCause: 'line one\nline two\r\nline three',
      enrollmentIds: 'fwf1 fwf2',
    });
  });

  it('starts with a BOM and uses CRLF, so spreadsheets read UTF-8 names', () => {
    const csv = toCsv([job({ user: 'józef@example.com' })]);
    expect(csv.startsWith('\uFEFFjobId,')).toBe(true);
    expect(csv.split('\r\n')).toHaveLength(3);
    expect(readCsv(csv)[0]?.user).toBe('józef@example.com');
  });

  it('defuses values that a spreadsheet would run as a formula', () => {
    const csv = toCsv([job({ user: '=HYPERLINK("http://evil.example","x")', orderId: '+1-555', model: '@SUM(A1)' })]);
    const row = readCsv(csv)[0];
    expect(row?.user).toBe('\'=HYPERLINK("http://evil.example","x")');
    expect(row?.orderId).toBe("'+1-555");
    expect(row?.model).toBe("'@SUM(A1)");
  });

  it('is just the header when there are no jobs', () => {
    expect(readCsv(toCsv([]))).toEqual([]);
    expect(toCsv([])).toContain('jobId,batchId,orderId');
  });

  it('fills durationMs from the timestamps when the journal has none', () => {
    const row = readCsv(toCsv([job({ durationMs: undefined, startedAt: '2024-03-01T09:00:00Z', finishedAt: '2024-03-01T09:00:42.5Z' })]))[0];
    expect(row?.durationMs).toBe('42500');
  });
});

describe('no secret reaches a report', () => {
  const SECRETS = { pin: '73918264', token: 'tok-SECRET-1', secret: 'sec-SECRET-2', pinUvAuthToken: 'put-SECRET-3', clientSecret: 'cs-SECRET-4', apiToken: 'SSWS-SECRET-5' };

  function leakyJobs(): JobRecord[] {
    // Records as a careless caller might build them: the journal row plus whatever else was lying around.
    const polluted = { ...job({ outcome: 'failed', failureCause: 'pin-rejected', batchId: 'b1' }), ...SECRETS, nested: { pin: SECRETS.pin } };
    return [polluted, { ...job({ batchId: 'b1' }), ...SECRETS }];
  }

  it('no report column is named like a secret', () => {
    for (const column of REPORT_COLUMNS) expect(column).not.toMatch(/pin|token|secret|password|key$/i);
  });

  it('the CSV carries neither the names nor the values of extra fields', () => {
    const csv = toCsv(leakyJobs());
    const [header] = parse(csv, { bom: true, to_line: 1 }) as string[][];
    expect(header).toEqual([...REPORT_COLUMNS]);
    expect(csv).not.toMatch(/token|secret|nested/i);
    for (const value of Object.values(SECRETS)) expect(csv).not.toContain(value);
  });

  it('the JSON carries neither, in the jobs or in a summary someone attached them to', () => {
    const jobs = leakyJobs();
    const summary = Object.assign(summarize(jobs, { by: 'batch' }), SECRETS);
    const json = toJson(summary, jobs);
    expect(json).not.toMatch(/"pin"|token|secret/i);
    for (const value of Object.values(SECRETS)) expect(json).not.toContain(value);
    const parsed = JSON.parse(json) as { jobs: Record<string, unknown>[] };
    for (const row of parsed.jobs) for (const key of Object.keys(row)) expect(REPORT_COLUMNS).toContain(key);
  });
});

describe('summarize', () => {
  const at = (minute: number) => new Date(Date.UTC(2024, 2, 1, 9, minute)).toISOString();

  it('counts outcomes and groups failures by cause, most frequent first', () => {
    const jobs = [
      job(),
      job(),
      job({ outcome: 'failed', failureCause: 'key-removed' }),
      job({ outcome: 'failed', failureCause: 'pin-policy' }),
      job({ outcome: 'failed', failureCause: 'key-removed' }),
      job({ outcome: 'failed', failureCode: 'CTAP2_ERR_PIN_POLICY_VIOLATION' }),
      job({ outcome: 'failed' }),
      job({ outcome: 'cancelled' }),
      job({ outcome: undefined, state: 'enrolled' }),
    ];
    const summary = summarize(jobs);
    expect(summary).toMatchObject({ jobs: 9, done: 2, failed: 5, cancelled: 1, unfinished: 1, groups: [] });
    expect(summary.failuresByCause).toEqual([
      { cause: 'key-removed', count: 2 },
      { cause: 'CTAP2_ERR_PIN_POLICY_VIOLATION', count: 1 },
      { cause: 'pin-policy', count: 1 },
      { cause: 'unknown', count: 1 },
    ]);
  });

  it('takes p50 and p95 by nearest rank over successful jobs only', () => {
    const done = Array.from({ length: 100 }, (_, i) => job({ durationMs: (100 - i) * 1000 }));
    const failedSlow = job({ outcome: 'failed', durationMs: 10_000_000 });
    const summary = summarize([...done, failedSlow]);
    expect(summary.durationMs).toEqual({ count: 100, p50: 50_000, p95: 95_000, mean: 50_500 });
  });

  it('takes durations from timestamps when needed and skips jobs without any', () => {
    const summary = summarize([
      job({ durationMs: undefined, startedAt: at(0), finishedAt: at(2) }),
      job({ durationMs: undefined, startedAt: 'not a date', finishedAt: at(3) }),
      job({ durationMs: undefined, finishedAt: undefined }),
    ]);
    expect(summary.durationMs).toEqual({ count: 1, p50: 120_000, p95: 120_000, mean: 120_000 });
  });

  it('computes keys per hour from the first start to the last finish', () => {
    const jobs = Array.from({ length: 10 }, (_, i) => job({ startedAt: at(i * 12), finishedAt: at(i * 12 + 12) }));
    jobs.push(job({ outcome: 'failed', startedAt: at(30), finishedAt: at(31) }));
    const summary = summarize(jobs);
    expect(summary.keysPerHour).toBe(5);
    expect(summary.firstStartedAt).toBe(at(0));
    expect(summary.lastFinishedAt).toBe(at(120));
  });

  it('has no rates or percentiles for an empty run', () => {
    expect(summarize([])).toEqual({
      jobs: 0,
      done: 0,
      failed: 0,
      cancelled: 0,
      unfinished: 0,
      failuresByCause: [],
      durationMs: { count: 0, p50: undefined, p95: undefined, mean: undefined },
      keysPerHour: undefined,
      firstStartedAt: undefined,
      lastFinishedAt: undefined,
      groups: [],
    });
  });

  it('groups by batch, jobs outside a batch together', () => {
    const summary = summarize(
      [job({ batchId: 'b2' }), job({ batchId: 'b1', outcome: 'failed', failureCause: 'x' }), job({ batchId: 'b1' }), job()],
      { by: 'batch' },
    );
    expect(summary.by).toBe('batch');
    expect(summary.jobs).toBe(4);
    expect(summary.groups.map((g) => [g.key, g.jobs, g.done, g.failed])).toEqual([
      ['(no batch)', 1, 1, 0],
      ['b1', 2, 1, 1],
      ['b2', 1, 1, 0],
    ]);
  });

  it('groups by day in the station time zone given', () => {
    const late = job({ startedAt: '2024-03-02T03:00:00Z', finishedAt: '2024-03-02T03:01:00Z' });
    const morning = job({ startedAt: '2024-03-02T15:00:00Z', finishedAt: '2024-03-02T15:01:00Z' });
    const utc = summarize([late, morning], { by: 'day', timeZone: 'UTC' });
    const newYork = summarize([late, morning], { by: 'day', timeZone: 'America/New_York' });
    expect(utc.groups.map((g) => [g.key, g.jobs])).toEqual([['2024-03-02', 2]]);
    expect(newYork.groups.map((g) => [g.key, g.jobs])).toEqual([
      ['2024-03-01', 1],
      ['2024-03-02', 1],
    ]);
    expect(newYork.groups[0]?.keysPerHour).toBe(60);
  });

  it('toJson holds the summary and the job rows', () => {
    const jobs = [job({ batchId: 'b1' }), job({ batchId: 'b1', outcome: 'failed', failureCause: 'key-removed' })];
    const summary = summarize(jobs, { by: 'batch' });
    const parsed = JSON.parse(toJson(summary, jobs)) as { summary: unknown; jobs: unknown[] };
    expect(parsed.summary).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(parsed.jobs).toHaveLength(2);
    expect(parsed.jobs[1]).toMatchObject({ jobId: jobs[1]?.jobId, outcome: 'failed', enrollmentIds: jobs[1]?.enrollmentIds });
  });
});
