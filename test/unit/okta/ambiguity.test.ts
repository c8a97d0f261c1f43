// enroll and activate are not idempotent: after a lost answer the client must look before it repeats.
import { afterEach, describe, expect, it } from 'vitest';
import { OktaClient, type ActivateInput } from '../../../electron/core/okta/client.js';
import { OktaError } from '../../../electron/core/okta/errors.js';
import { RateLimiter } from '../../../electron/core/okta/rate-limiter.js';
import { factor, sendJson, SIGNING_KEY, startFakeOkta, TRANSPORT_KEY, type FakeOkta, type Handler } from './fake-okta.js';

const TOKEN = '00abcdefSSWS-ambiguity-token-0123456789';
const USER = '00us2hPODQncCkxef0g3';
const ENROLL = '/webauthn-registration/api/v1/enroll';
const ACTIVATE = '/webauthn-registration/api/v1/activate';

let okta: FakeOkta | undefined;
afterEach(async () => {
  await okta?.close();
  okta = undefined;
});

async function client(handler: Handler, timeoutMs = 30_000): Promise<OktaClient> {
  okta = await startFakeOkta(handler);
  return new OktaClient({ orgUrl: okta.url, credentials: { kind: 'ssws', token: TOKEN }, timeoutMs, retryBaseMs: 20, limiter: new RateLimiter({ jitterMs: 0 }) });
}

function posts(path: string): number {
  return okta!.requests.filter((r) => r.method === 'POST' && r.path === path).length;
}

const activateInput: ActivateInput = {
  userId: USER,
  serial: '3632071',
  version: '5.7.1',
  pinResponseJwe: 'pin.jwe.a.b.c',
  credResponses: [{ authenticatorEnrollmentId: 'fwfNew', credResponseJwe: 'cred.jwe.a.b.c' }],
  signingJwks: [SIGNING_KEY],
};

describe('enroll after a lost answer', () => {
  it('times out after Okta created a factor: no second enroll, the orphan is reported', async () => {
    const factors = [factor('fwfOld', 'ACTIVE')];
    const c = await client((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, factors);
      // Okta creates the factor, then the answer never arrives.
      factors.push(factor('fwfNew', 'PENDING_ACTIVATION'));
    }, 300);
    const error = await c.enroll({ userId: USER, transportKey: TRANSPORT_KEY }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OktaError);
    expect(error).toMatchObject({ code: 'enroll-ambiguous', orphanIds: ['fwfNew'], retryable: false });
    expect((error as OktaError).hint).toContain('fwfNew');
    expect(posts(ENROLL)).toBe(1);
  });

  it('a 5xx after which no factor appeared gives back the server error (safe to retry) without re-sending', async () => {
    const c = await client((req, res) => (req.method === 'GET' ? sendJson(res, 200, [factor('fwfOld', 'PENDING_ACTIVATION')]) : sendJson(res, 500, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' })));
    const error = await c.enroll({ userId: USER, transportKey: TRANSPORT_KEY }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'server', status: 500, orphanIds: [] });
    expect(posts(ENROLL)).toBe(1);
  });

  it('a factor whose status Okta has not documented counts as an orphan; settled ones do not', async () => {
    const factors: Record<string, unknown>[] = [];
    const c = await client((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, factors);
      factors.push(factor('fwfOdd', 'SOMETHING_NEW'), factor('fwfDone', 'FULFILLMENT_ERRORED'));
      res.destroy();
    });
    const error = await c.enroll({ userId: USER, transportKey: TRANSPORT_KEY }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'enroll-ambiguous', orphanIds: ['fwfOdd'] });
    expect(posts(ENROLL)).toBe(1);
  });

  it('when the enrollments cannot be checked afterwards it still refuses to guess', async () => {
    let lists = 0;
    const c = await client((req, res) => {
      if (req.method === 'GET') return ++lists === 1 ? sendJson(res, 200, []) : sendJson(res, 403, { errorCode: 'E0000006', errorSummary: 'no' });
      res.destroy();
    });
    const error = await c.enroll({ userId: USER, transportKey: TRANSPORT_KEY }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'enroll-ambiguous', orphanIds: [] });
    expect(posts(ENROLL)).toBe(1);
  });
});

describe('activate after a lost answer', () => {
  it('does not repeat when the listing shows the factors ACTIVE (the lost answer was a success)', async () => {
    const c = await client((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, [factor('fwfNew', 'ACTIVE')]);
      sendJson(res, 504, { errorSummary: 'Gateway timeout' });
    });
    await expect(c.activate(activateInput)).resolves.toEqual({ authenticatorEnrollmentIds: ['fwfNew'], fulfillmentProvider: 'yubico', userId: USER });
    expect(posts(ACTIVATE)).toBe(1);
  });

  it('repeats only after the listing shows the factors not ACTIVE', async () => {
    let attempts = 0;
    const c = await client((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, [factor('fwfNew', 'PENDING_ACTIVATION')]);
      if (++attempts === 1) {
        res.destroy();
        return;
      }
      sendJson(res, 200, { authenticatorEnrollmentIds: ['fwfNew'], userId: USER });
    });
    await expect(c.activate(activateInput)).resolves.toMatchObject({ authenticatorEnrollmentIds: ['fwfNew'] });
    expect(okta!.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'POST']);
  });

  it('a partly active set is reported, not repeated', async () => {
    const c = await client((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, [factor('a', 'ACTIVE'), factor('b', 'PENDING_ACTIVATION')]);
      sendJson(res, 503, {});
    });
    const input = { ...activateInput, credResponses: [{ authenticatorEnrollmentId: 'a', credResponseJwe: 'x' }, { authenticatorEnrollmentId: 'b', credResponseJwe: 'y' }] };
    await expect(c.activate(input)).rejects.toMatchObject({ code: 'activate-ambiguous' });
    expect(posts(ACTIVATE)).toBe(1);
  });

  it('a definite rejection (400) is never retried', async () => {
    const c = await client((req, res) => sendJson(res, 400, { errorCode: 'E0000001', errorSummary: 'Api validation failed', errorCauses: { errorSummary: 'bad' } }));
    await expect(c.activate(activateInput)).rejects.toMatchObject({ code: 'validation' });
    expect(okta!.requests).toHaveLength(1);
  });
});
