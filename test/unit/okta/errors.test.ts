import { afterEach, describe, expect, it } from 'vitest';
import { OktaClient } from '../../../electron/core/okta/client.js';
import { OktaError } from '../../../electron/core/okta/errors.js';
import { RateLimiter } from '../../../electron/core/okta/rate-limiter.js';
import { OKTA_ERRORS, sendJson, startFakeOkta, TRANSPORT_KEY, type FakeOkta, type Handler } from './fake-okta.js';

const TOKEN = '00abcdefSSWS-errors-token-0123456789';
const USER = '00us2hPODQncCkxef0g3';

let okta: FakeOkta | undefined;
afterEach(async () => {
  await okta?.close();
  okta = undefined;
});

async function client(handler: Handler): Promise<OktaClient> {
  okta = await startFakeOkta(handler);
  return new OktaClient({
    orgUrl: okta.url,
    credentials: { kind: 'ssws', token: TOKEN },
    retryBaseMs: 20,
    limiter: new RateLimiter({ jitterMs: 0 }),
  });
}

async function failure(promise: Promise<unknown>): Promise<OktaError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OktaError);
  return error as OktaError;
}

describe('Okta error bodies (okta-prereg §5.6)', () => {
  it('400 on enroll: errorCauses as a single object becomes one cause', async () => {
    const c = await client((req, res) => (req.method === 'GET' ? sendJson(res, 200, []) : sendJson(res, 400, OKTA_ERRORS.enroll400, { 'X-Okta-Request-Id': 'req-e400' })));
    const error = await failure(c.enroll({ userId: USER, transportKey: TRANSPORT_KEY }));
    expect(error).toMatchObject({
      status: 400,
      code: 'validation',
      errorCode: 'E0000001',
      errorId: 'oaehk3rssXQmOWDRsaFfxe8A',
      summary: 'Api validation failed: webAuthnPreregistrationPinRequest|webAuthnPreregistrationCredentialRequest',
      causes: ['There was an unexpected internal error. Please try again.'],
      requestId: 'req-e400',
      retryable: false,
    });
    expect(error.message).toContain('There was an unexpected internal error');
    expect(error.message).toContain('req-e400');
    expect(okta!.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('400 on activate parses the same way', async () => {
    const c = await client((_req, res) => sendJson(res, 400, OKTA_ERRORS.activate400));
    const error = await failure(
      c.activate({ userId: USER, serial: '1', version: '5.7.1', pinResponseJwe: 'p', credResponses: [{ authenticatorEnrollmentId: 'f', credResponseJwe: 'c' }], signingJwks: [{ ...TRANSPORT_KEY, use: 'sig' }] }),
    );
    expect(error).toMatchObject({ code: 'validation', errorId: 'oaehk3rssXQmOWDRsaFfxe8B', causes: ['There was an unexpected internal error. Please try again.'] });
  });

  it('400 with errorCauses as an array lists every cause', async () => {
    const c = await client((req, res) => (req.method === 'GET' ? sendJson(res, 200, []) : sendJson(res, 400, OKTA_ERRORS.causesArray400)));
    const error = await failure(c.enroll({ userId: USER, transportKey: TRANSPORT_KEY }));
    expect(error.causes).toEqual(['enrollmentRpIds: must not be empty', 'userId: unknown user']);
    expect(error.message).toContain('enrollmentRpIds: must not be empty; userId: unknown user');
  });

  it('400 E0000003 (malformed JSON) points at a station bug', async () => {
    const c = await client((_req, res) => sendJson(res, 400, OKTA_ERRORS.malformed400));
    const error = await failure(c.sendPin({ userId: USER, authenticatorEnrollmentId: 'f' }));
    expect(error).toMatchObject({ code: 'validation', errorCode: 'E0000003' });
    expect(error.hint).toMatch(/station bug/);
  });

  it('401 E0000011 says to create a new API token', async () => {
    const c = await client((_req, res) => sendJson(res, 401, OKTA_ERRORS.invalidToken401));
    const error = await failure(c.listEnrollments(USER));
    expect(error).toMatchObject({ status: 401, code: 'unauthorized', errorCode: 'E0000011', causes: [] });
    expect(error.hint).toMatch(/API token is invalid or expired: create a new one/);
    expect(okta!.requests).toHaveLength(1);
  });

  it('403 E0000006 names the missing scope / admin role', async () => {
    const c = await client((_req, res) => sendJson(res, 403, OKTA_ERRORS.forbidden403));
    const error = await failure(c.markError(USER, 'fwf1'));
    expect(error).toMatchObject({ status: 403, code: 'forbidden', errorCode: 'E0000006' });
    expect(error.hint).toMatch(/okta\.users\.manage/);
  });

  it('404 on a user path means user not found', async () => {
    const c = await client((_req, res) => sendJson(res, 404, OKTA_ERRORS.notFound404));
    const error = await failure(c.getUser('nobody@example.com'));
    expect(error).toMatchObject({ status: 404, code: 'not-found', errorCode: 'E0000007', summary: 'Not found: Resource not found: 00uMissing (User)' });
    expect(error.hint).toMatch(/^User not found/);
  });

  it('404 on a webauthn-registration path says preregistration may not be enabled', async () => {
    const c = await client((_req, res) => sendJson(res, 404, OKTA_ERRORS.notFound404));
    const error = await failure(c.listEnrollments(USER));
    expect(error.hint).toMatch(/preregistration is not enabled on this org \(LIMITED_GA/);
  });

  it('429 E0000047 is retried 3 times, then reported as rate-limited', async () => {
    const waits: string[] = [];
    okta = await startFakeOkta((_req, res) =>
      sendJson(res, 429, OKTA_ERRORS.rateLimited429, { 'X-Rate-Limit-Limit': '100', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': String(Math.floor(Date.now() / 1000) - 5) }),
    );
    const c = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'ssws', token: TOKEN }, limiter: new RateLimiter({ jitterMs: 0 }), onWait: (info) => waits.push(info.message) });
    const error = await failure(c.listEnrollments(USER));
    expect(error).toMatchObject({ status: 429, code: 'rate-limited', errorCode: 'E0000047', retryable: true });
    expect(okta.requests).toHaveLength(4);
    expect(waits).toHaveLength(3);
    expect(okta.requests[3]!.headers['x-okta-retry-count']).toBe('3');
    expect(okta.requests[3]!.headers['x-okta-retry-for']).toBe('req-429');
  });

  it('5xx on a GET is retried and succeeds', async () => {
    let calls = 0;
    const c = await client((_req, res) => (++calls === 1 ? sendJson(res, 503, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' }) : sendJson(res, 200, [])));
    await expect(c.listEnrollments(USER)).resolves.toEqual([]);
    expect(calls).toBe(2);
  });

  it('5xx on initiate-fulfillment is not retried (it would order twice)', async () => {
    const c = await client((_req, res) => sendJson(res, 502, { errorCode: 'E0000009', errorSummary: 'Bad gateway' }));
    const error = await failure(c.initiateFulfillment({ userId: USER, fulfillmentData: [{ productId: '55', customizationId: 'RXJN83', inventoryProductId: '106' }] }));
    expect(error).toMatchObject({ code: 'server', status: 502 });
    expect(okta!.requests).toHaveLength(1);
  });

  it('a non-JSON error page still becomes a typed error with the request id', async () => {
    const c = await client((_req, res) => {
      res.writeHead(500, { 'X-Okta-Request-Id': 'req-html' });
      res.end('<html>oops</html>');
    });
    const error = await failure(c.deleteEnrollment(USER, 'f1'));
    expect(error).toMatchObject({ code: 'server', status: 500, requestId: 'req-html' });
    expect(okta!.requests).toHaveLength(4);
  });

  it('a DELETE whose first answer was lost treats a 404 on the retry as done', async () => {
    let calls = 0;
    const c = await client((_req, res) => (++calls === 1 ? sendJson(res, 503, {}) : sendJson(res, 404, OKTA_ERRORS.notFound404)));
    await expect(c.deleteEnrollment(USER, 'fwf1')).resolves.toBeUndefined();
  });

  it('an unreachable org is a network error with a hint, after bounded retries', async () => {
    const c = await client((_req, res) => sendJson(res, 200, []));
    await okta!.close();
    const error = await failure(c.listEnrollments(USER));
    expect(error).toMatchObject({ code: 'network', retryable: true });
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.hint).toMatch(/network/);
  });
});
