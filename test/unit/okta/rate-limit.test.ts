import { afterEach, describe, expect, it } from 'vitest';
import { OktaClient } from '../../../electron/core/okta/client.js';
import type { WaitInfo } from '../../../electron/core/okta/http.js';
import { RateLimiter, readRateLimitHeaders } from '../../../electron/core/okta/rate-limiter.js';
import { OKTA_ERRORS, sendJson, startFakeOkta, type FakeOkta } from './fake-okta.js';

const TOKEN = '00abcdefSSWS-ratelimit-token-0123456789';
const USER = '00us2hPODQncCkxef0g3';

let okta: FakeOkta | undefined;
afterEach(async () => {
  await okta?.close();
  okta = undefined;
});

describe('rate limits', () => {
  it('a 429 with Reset ~1 s ahead is waited out and the second attempt succeeds', async () => {
    let resetAt = 0;
    okta = await startFakeOkta((_req, res) => {
      if (resetAt === 0) {
        resetAt = Math.floor(Date.now() / 1000) + 1;
        return sendJson(res, 429, OKTA_ERRORS.rateLimited429, { 'X-Rate-Limit-Limit': '100', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': String(resetAt) });
      }
      return sendJson(res, 200, [], { 'X-Rate-Limit-Limit': '100', 'X-Rate-Limit-Remaining': '99', 'X-Rate-Limit-Reset': String(resetAt + 60) });
    });
    const waits: WaitInfo[] = [];
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'ssws', token: TOKEN }, limiter: new RateLimiter({ jitterMs: 50 }), onWait: (info) => waits.push(info) });
    await expect(client.listEnrollments(USER)).resolves.toEqual([]);
    expect(okta.requests).toHaveLength(2);
    // The retry went out no earlier than the announced reset.
    expect(okta.requests[1]!.at).toBeGreaterThanOrEqual(resetAt * 1000);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ reason: 'rate-limit', attempt: 1, requestId: 'req-429' });
    expect(waits[0]!.message).toMatch(/^Okta rate limit reached; retrying in \d+ s$/);
  });

  it('caps concurrency at 4 with 10 parallel calls, and every call completes', async () => {
    okta = await startFakeOkta((_req, res) => {
      setTimeout(() => sendJson(res, 200, []), 40);
    });
    const limiter = new RateLimiter();
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'ssws', token: TOKEN }, limiter });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.listEnrollments(`user${i}`)));
    expect(results).toHaveLength(10);
    expect(okta.inFlight.max).toBe(4);
    expect(limiter.active).toBe(0);
  });

  it('is shared: two clients of the same org respect one cap', async () => {
    okta = await startFakeOkta((_req, res) => {
      setTimeout(() => sendJson(res, 200, []), 40);
    });
    const limiter = new RateLimiter({ concurrency: 2 });
    const a = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'ssws', token: TOKEN }, limiter });
    const b = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'ssws', token: TOKEN }, limiter });
    await Promise.all([a.listEnrollments('u1'), a.listEnrollments('u2'), b.listEnrollments('u3'), b.listEnrollments('u4')]);
    expect(okta.inFlight.max).toBe(2);
    expect(RateLimiter.forOrg('https://x.okta.com')).toBe(RateLimiter.forOrg('https://x.okta.com'));
  });

  it('Remaining 0 on a success holds the next request until Reset', async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ now: () => now, jitterMs: 0 });
    const headers = new Headers({ 'X-Rate-Limit-Limit': '10', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': String(now / 1000 + 12) });
    limiter.observe(headers);
    expect(limiter.holdRemainingMs()).toBe(12_000);
    now += 12_000;
    expect(limiter.holdRemainingMs()).toBe(0);
  });

  it('reads the headers, corrects for clock skew, and ignores duplicated values', () => {
    const now = Date.parse('2026-01-01T00:00:10Z');
    const skewed = readRateLimitHeaders(new Headers({ 'X-Rate-Limit-Reset': String(Date.parse('2026-01-01T00:01:00Z') / 1000), Date: 'Thu, 01 Jan 2026 00:00:00 GMT' }), now);
    // The server's clock is 10 s behind ours; its reset is 60 s after its own now, so 60 s after ours too.
    expect(skewed.resetAtMs! - now).toBe(60_000);
    const duplicated = readRateLimitHeaders(new Headers([['X-Rate-Limit-Reset', '100'], ['X-Rate-Limit-Reset', '200']]), now);
    expect(duplicated.resetAtMs).toBeUndefined();
  });

  it('hands slots over in arrival order and honours abort while queued', async () => {
    const limiter = new RateLimiter({ concurrency: 1 });
    const release = await limiter.acquire();
    const order: string[] = [];
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal).then(
      () => order.push('aborted-got-slot'),
      () => order.push('aborted'),
    );
    const second = limiter.acquire().then((r) => {
      order.push('second');
      r();
    });
    controller.abort();
    await aborted;
    release();
    await second;
    expect(order).toEqual(['aborted', 'second']);
    expect(limiter.active).toBe(0);
  });
});
