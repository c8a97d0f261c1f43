// The System Log (GET /api/v1/logs) as far as a fulfillment provider uses it: events of type
// system.mfa.preregister.initiate, filtered by SCIM-style `eq` clauses, paged through `Link: rel="next"`.
// As in Okta, a polling query (no `until`) always carries a next link; a bounded one only while more remain.
import { invalidSearch } from './errors.js';

export const PREREGISTER_INITIATE_EVENT = 'system.mfa.preregister.initiate';

export interface LogTarget {
  readonly id: string;
  readonly type: string;
  readonly alternateId: string;
  readonly displayName: string;
  readonly detailEntry: null;
}

export interface LogEvent {
  readonly uuid: string;
  readonly published: string;
  readonly eventType: string;
  readonly version: '0';
  readonly severity: 'INFO';
  readonly legacyEventType: null;
  readonly displayMessage: string;
  readonly actor: LogTarget;
  readonly client: { readonly ipAddress: string; readonly userAgent: { readonly rawUserAgent: string } };
  readonly outcome: { readonly result: 'SUCCESS'; readonly reason: null };
  readonly target: readonly LogTarget[];
  readonly transaction: { readonly type: 'WEB'; readonly id: string; readonly detail: Record<string, never> };
  readonly debugContext: { readonly debugData: Readonly<Record<string, unknown>> };
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const DEFAULT_LOOKBACK_MS = 7 * 24 * 3600 * 1000;
const FILTER_FIELDS: Readonly<Record<string, (e: LogEvent) => readonly string[]>> = {
  eventType: (e) => [e.eventType],
  'target.id': (e) => e.target.map((t) => t.id),
  'target.alternateId': (e) => e.target.map((t) => t.alternateId),
  'actor.id': (e) => [e.actor.id],
  'outcome.result': (e) => [e.outcome.result],
};

export interface LogPage {
  readonly events: readonly LogEvent[];
  /** Query string of the next page, when there is one. */
  readonly next: URLSearchParams | undefined;
}

export class SystemLog {
  private readonly events: LogEvent[] = [];

  append(event: LogEvent): void {
    this.events.push(event);
  }

  all(): readonly LogEvent[] {
    return [...this.events];
  }

  query(params: URLSearchParams, now: number): LogPage {
    const match = parseFilter(params.get('filter'));
    const since = parseTime(params.get('since'), 'since') ?? now - DEFAULT_LOOKBACK_MS;
    const until = parseTime(params.get('until'), 'until');
    const limit = parseLimit(params.get('limit'));
    const sortOrder = params.get('sortOrder') ?? 'ASCENDING';
    if (sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') throw invalidSearch('sortOrder must be ASCENDING or DESCENDING.');
    const after = params.get('after');

    let candidates = this.events.filter((e) => {
      const t = Date.parse(e.published);
      return t >= since && (until === undefined || t < until) && match(e);
    });
    if (sortOrder === 'DESCENDING') candidates = candidates.reverse();
    if (after !== null) {
      const index = candidates.findIndex((e) => e.uuid === after);
      candidates = index === -1 ? [] : candidates.slice(index + 1);
    }
    const events = candidates.slice(0, limit);
    const moreRemain = candidates.length > limit;
    const polling = until === undefined;
    if (!moreRemain && !polling) return { events, next: undefined };

    const next = new URLSearchParams(params);
    const last = events.at(-1);
    if (last !== undefined) next.set('after', last.uuid);
    return { events, next };
  }
}

function parseFilter(filter: string | null): (e: LogEvent) => boolean {
  if (filter === null || filter.trim() === '') return () => true;
  const clauses: { field: (e: LogEvent) => readonly string[]; value: string }[] = [];
  const clause = /^\s*([A-Za-z.]+)\s+eq\s+"([^"]*)"\s*(?:and\s+|$)/i;
  let rest = filter;
  while (rest.trim() !== '') {
    const m = clause.exec(rest);
    const field = m?.[1] !== undefined ? FILTER_FIELDS[m[1]] : undefined;
    if (m === null || field === undefined || m[2] === undefined) {
      throw invalidSearch(`Unsupported filter "${filter}". Use clauses like eventType eq "${PREREGISTER_INITIATE_EVENT}" joined by and.`);
    }
    clauses.push({ field, value: m[2] });
    rest = rest.slice(m[0].length);
  }
  return (e) => clauses.every((c) => c.field(e).includes(c.value));
}

function parseTime(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidSearch(`${name} must be an ISO 8601 timestamp.`);
  return t;
}

function parseLimit(value: string | null): number {
  if (value === null) return DEFAULT_LIMIT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw invalidSearch('limit must be a positive integer.');
  return Math.min(n, MAX_LIMIT);
}
