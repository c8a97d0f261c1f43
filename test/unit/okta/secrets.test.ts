// No credential may surface in an error (message, hint, fields, stack, inspection) or a log line — not even
// when Okta echoes it back.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { OktaClient } from '../../../electron/core/okta/client.js';
import { OktaError } from '../../../electron/core/okta/errors.js';
import { RateLimiter } from '../../../electron/core/okta/rate-limiter.js';
import { OKTA_ERRORS, sendJson, startFakeOkta, TRANSPORT_KEY, type FakeOkta, type Handler } from './fake-okta.js';

const SSWS_TOKEN = '00SECRETssws-token-must-never-leak-42';
const USER = '00us2hPODQncCkxef0g3';

let okta: FakeOkta | undefined;
afterEach(async () => {
  await okta?.close();
  okta = undefined;
});

function everythingVisible(error: unknown): string {
  expect(error).toBeInstanceOf(OktaError);
  const e = error as OktaError;
  return [e.message, e.hint, e.summary, e.stack ?? '', String(e), inspect(e, { depth: 5 }), JSON.stringify(e), ...e.causes].join('\n');
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
}

type Scenario = readonly [name: string, handler: Handler, call: (c: OktaClient) => Promise<unknown>];

const echoAuth: Handler = (req, res) =>
  sendJson(res, 403, { errorCode: 'E0000006', errorSummary: `You sent ${req.headers.authorization}`, errorCauses: [{ errorSummary: `header ${req.headers.authorization}` }] });

const scenarios: readonly Scenario[] = [
  ['401', (_q, r) => sendJson(r, 401, OKTA_ERRORS.invalidToken401), (c) => c.listEnrollments(USER)],
  ['403', (_q, r) => sendJson(r, 403, OKTA_ERRORS.forbidden403), (c) => c.markError(USER, 'f')],
  ['404', (_q, r) => sendJson(r, 404, OKTA_ERRORS.notFound404), (c) => c.getUser('someone@example.com')],
  ['400 causes', (_q, r) => sendJson(r, 400, OKTA_ERRORS.enroll400), (c) => c.sendPin({ userId: USER, authenticatorEnrollmentId: 'f' })],
  ['429 exhausted', (_q, r) => sendJson(r, 429, OKTA_ERRORS.rateLimited429, { 'X-Rate-Limit-Reset': '1' }), (c) => c.listEnrollments(USER)],
  ['500', (_q, r) => sendJson(r, 500, { errorSummary: 'boom' }), (c) => c.listEnrollments(USER)],
  ['timeout', () => undefined, (c) => c.listEnrollments(USER)],
  ['reset connection', (_q, r) => void r.destroy(), (c) => c.deleteEnrollment(USER, 'f')],
  ['bad response', (_q, r) => sendJson(r, 200, { nope: true }), (c) => c.getUser('x')],
  ['enroll ambiguous', (q, r) => (q.method === 'GET' ? sendJson(r, 200, []) : void r.destroy()), (c) => c.enroll({ userId: USER, transportKey: TRANSPORT_KEY })],
  ['echoed Authorization header', echoAuth, (c) => c.listEnrollments(USER)],
];

describe('SSWS token never leaks', () => {
  it.each(scenarios)('%s', async (_name, handler, call) => {
    okta = await startFakeOkta(handler);
    const logs: string[] = [];
    const waits: string[] = [];
    const client = new OktaClient({
      orgUrl: okta.url,
      credentials: { kind: 'ssws', token: SSWS_TOKEN },
      timeoutMs: 200,
      maxRetries: 1,
      retryBaseMs: 10,
      limiter: new RateLimiter({ jitterMs: 0 }),
      log: (line) => logs.push(line),
      onWait: (info) => waits.push(JSON.stringify(info)),
    });
    const visible = everythingVisible(await errorOf(call(client)));
    expect(okta.requests.length).toBeGreaterThan(0);
    expect(okta.requests[0]!.headers.authorization).toBe(`SSWS ${SSWS_TOKEN}`);
    expect(visible).not.toContain(SSWS_TOKEN);
    expect(logs.length).toBeGreaterThan(0);
    expect([...logs, ...waits].join('\n')).not.toContain(SSWS_TOKEN);
    expect(inspect(client, { depth: 10 })).not.toContain(SSWS_TOKEN);
  });

  it('the echoed header is shown redacted, so the technician still sees what Okta said', async () => {
    okta = await startFakeOkta(echoAuth);
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'ssws', token: SSWS_TOKEN } });
    const error = (await errorOf(client.listEnrollments(USER))) as OktaError;
    expect(error.summary).toBe('You sent SSWS [redacted]');
  });

  it('a malformed token is refused without repeating it', () => {
    const bad = 'abc def-secret-with-space';
    expect.assertions(3);
    try {
      new OktaClient({ orgUrl: 'https://x.okta.com', credentials: { kind: 'ssws', token: bad } });
    } catch (error) {
      expect(error).toMatchObject({ code: 'config' });
      expect(everythingVisible(error)).not.toContain('secret-with-space');
    }
  });
});

describe('OAuth secrets never leak', () => {
  it('private key, client assertion and access token stay out of errors and logs', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1' };
    const ACCESS_TOKEN = 'eyACCESS-token-that-must-not-leak-123';
    const assertions: string[] = [];
    let tokenCalls = 0;
    okta = await startFakeOkta((req, res) => {
      if (req.path === '/oauth2/v1/token') {
        assertions.push(new URLSearchParams(req.body).get('client_assertion') ?? '');
        // The first time, refuse and echo the whole request (assertion included) back.
        if (++tokenCalls === 1) return sendJson(res, 400, { error: 'invalid_client', error_description: `bad request ${req.body} key ${privateJwk.d}` });
        return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: ACCESS_TOKEN });
      }
      echoAuth(req, res);
    });
    const logs: string[] = [];
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'oauth', clientId: 'cid', privateJwk }, log: (line) => logs.push(line) });
    const tokenError = everythingVisible(await errorOf(client.listEnrollments(USER)));
    const resourceError = everythingVisible(await errorOf(client.listEnrollments(USER)));
    const visible = [tokenError, resourceError, ...logs, inspect(client, { depth: 10 })].join('\n');
    expect(resourceError).toContain('[redacted]');
    expect(visible).not.toContain(privateJwk.d);
    expect(visible).not.toContain(ACCESS_TOKEN);
    for (const assertion of assertions) expect(visible).not.toContain(assertion);
  });
});
