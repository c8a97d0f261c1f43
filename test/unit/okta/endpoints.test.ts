import { afterEach, describe, expect, it } from 'vitest';
import { OktaClient } from '../../../electron/core/okta/client.js';
import { OktaError } from '../../../electron/core/okta/errors.js';
import { factor, sendEmpty, sendJson, SIGNING_KEY, startFakeOkta, TRANSPORT_KEY, type FakeOkta, type Handler } from './fake-okta.js';

const TOKEN = '00abcdefSSWS-test-token-0123456789';
const USER = '00us2hPODQncCkxef0g3';
const WEBAUTHN = '/webauthn-registration/api/v1';

let okta: FakeOkta | undefined;
afterEach(async () => {
  await okta?.close();
  okta = undefined;
});

async function setup(handler: Handler, extra: Partial<ConstructorParameters<typeof OktaClient>[0]> = {}): Promise<{ client: OktaClient; server: FakeOkta }> {
  okta = await startFakeOkta(handler);
  const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'ssws', token: TOKEN }, ...extra });
  return { client, server: okta };
}

/** What each request looked like on the wire, minus volatile headers. */
function wire(server: FakeOkta): unknown[] {
  return server.requests.map((r) => ({ method: r.method, path: r.path, body: r.json }));
}

const enrollReply = {
  credRequests: [{ authenticatorEnrollmentId: 'fwf5ajzJEWqknX6lk0g4', credRequestJwe: 'eyJlcGsiOnsia3R5IjoiRUMiLCJ.a.b.c.d', keyId: 'h2r91gconqiai1vs0psg', extra: 'ignored' }],
  fulfillmentProvider: 'yubico',
  pinRequestJwe: 'eyJlcGsa3R5IjoiRUMiLA.a.b.c.d',
  userId: USER,
  somethingNew: { nested: true },
};

describe('OktaClient endpoints: exact method, path and body', () => {
  it('enroll lists first, then POSTs the documented body with the org host as default RP ID', async () => {
    const { client, server } = await setup((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, []);
      return sendJson(res, 200, enrollReply);
    });
    const result = await client.enroll({ userId: USER, transportKey: { ...TRANSPORT_KEY, d: 'PRIVATE-PART-MUST-NOT-LEAVE' } as typeof TRANSPORT_KEY });
    expect(result).toEqual({
      credRequests: [{ authenticatorEnrollmentId: 'fwf5ajzJEWqknX6lk0g4', credRequestJwe: 'eyJlcGsiOnsia3R5IjoiRUMiLCJ.a.b.c.d', keyId: 'h2r91gconqiai1vs0psg' }],
      fulfillmentProvider: 'yubico',
      pinRequestJwe: 'eyJlcGsa3R5IjoiRUMiLA.a.b.c.d',
      userId: USER,
    });
    expect(wire(server)).toMatchInlineSnapshot(`
      [
        {
          "body": undefined,
          "method": "GET",
          "path": "/webauthn-registration/api/v1/users/00us2hPODQncCkxef0g3/enrollments",
        },
        {
          "body": {
            "enrollmentRpIds": [
              "127.0.0.1",
            ],
            "fulfillmentProvider": "yubico",
            "userId": "00us2hPODQncCkxef0g3",
            "yubicoTransportKeyJWK": {
              "crv": "P-384",
              "kid": "APCS-Ttrans-C19881-I009",
              "kty": "EC",
              "use": "enc",
              "x": "r6AzcX3OSiJk1yQaBVYiBOtzFS9gNSpMDPvnVvl0CAX7el1ZyzmPG_BZ7u8sqTmF",
              "y": "RxPyGH1Xg74E2f5AQGkkddzsvTNY1R3R7mXTEM5wQtr1Y7C4XHlvITNZfU6G",
            },
          },
          "method": "POST",
          "path": "/webauthn-registration/api/v1/enroll",
        },
      ]
    `);
    const post = server.requests[1]!;
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.headers.accept).toBe('application/json');
    expect(post.headers.authorization).toBe(`SSWS ${TOKEN}`);
    expect(post.body).not.toContain('PRIVATE-PART');
  });

  it('enroll sends configured and per-call RP IDs instead of the default', async () => {
    const { client, server } = await setup((req, res) => (req.method === 'GET' ? sendJson(res, 200, []) : sendJson(res, 200, enrollReply)), {
      enrollmentRpIds: ['login.example.com', 'example.okta.com'],
    });
    await client.enroll({ userId: USER, transportKey: TRANSPORT_KEY });
    await client.enroll({ userId: USER, transportKey: TRANSPORT_KEY, enrollmentRpIds: ['Custom.Example.com'] });
    const posts = server.requests.filter((r) => r.method === 'POST').map((r) => (r.json as { enrollmentRpIds: unknown }).enrollmentRpIds);
    expect(posts).toEqual([['login.example.com', 'example.okta.com'], ['custom.example.com']]);
    await expect(client.enroll({ userId: USER, transportKey: TRANSPORT_KEY, enrollmentRpIds: ['https://x.okta.com/'] })).rejects.toMatchObject({ code: 'config' });
  });

  it('activate sends credResponseJwe (one spelling) and yubicoSigningJwks as an array', async () => {
    const { client, server } = await setup((_req, res) => sendJson(res, 200, { authenticatorEnrollmentIds: ['fwf5ajzJEWqknX6lk0g4'], userId: USER }));
    const result = await client.activate({
      userId: USER,
      serial: '3632071',
      version: '5.4.3',
      pinResponseJwe: 'eyJl5IjoiRUMiLCJjcnYcGsiOnsia3.a.b.c.d',
      credResponses: [{ authenticatorEnrollmentId: 'fwf5ajzJEWqknX6lk0g4', credResponseJwe: 'eyJlcGsiOnsia3R5IjoiRUM.a.b.c.d' }],
      signingJwks: [SIGNING_KEY],
    });
    expect(result).toEqual({ authenticatorEnrollmentIds: ['fwf5ajzJEWqknX6lk0g4'], userId: USER });
    expect(wire(server)).toMatchInlineSnapshot(`
      [
        {
          "body": {
            "credResponses": [
              {
                "authenticatorEnrollmentId": "fwf5ajzJEWqknX6lk0g4",
                "credResponseJwe": "eyJlcGsiOnsia3R5IjoiRUM.a.b.c.d",
              },
            ],
            "fulfillmentProvider": "yubico",
            "pinResponseJwe": "eyJl5IjoiRUMiLCJjcnYcGsiOnsia3.a.b.c.d",
            "serial": "3632071",
            "userId": "00us2hPODQncCkxef0g3",
            "version": "5.4.3",
            "yubicoSigningJwks": [
              {
                "crv": "P-384",
                "kid": "APCS-Tsgnkey-C19881-H0027616953",
                "kty": "EC",
                "use": "sig",
                "x": "tJc-j5osUCP-75ihCOKsswTOj3XsekayG3x79K2ndyOIXu08gDMkvL8rks06tEAa",
                "y": "hfVGbQeG4l2orqenn-GATWwTm8tLqHFHuwfJp33CCNOMtYYsgkAEnW60ORzt4YV-",
              },
            ],
          },
          "method": "POST",
          "path": "/webauthn-registration/api/v1/activate",
        },
      ]
    `);
    expect(server.requests[0]!.body).not.toContain('credResponseJWE');
  });

  it('send-pin sends a scalar enrollment id and accepts 204', async () => {
    const { client, server } = await setup((_req, res) => sendEmpty(res));
    await client.sendPin({ userId: USER, authenticatorEnrollmentId: 'fwf5ajzJEWqknX6lk0g4' });
    expect(wire(server)).toMatchInlineSnapshot(`
      [
        {
          "body": {
            "authenticatorEnrollmentId": "fwf5ajzJEWqknX6lk0g4",
            "fulfillmentProvider": "yubico",
            "userId": "00us2hPODQncCkxef0g3",
          },
          "method": "POST",
          "path": "/webauthn-registration/api/v1/send-pin",
        },
      ]
    `);
  });

  it('initiate-fulfillment-request sends fulfillmentData as an array', async () => {
    const { client, server } = await setup((_req, res) => sendEmpty(res));
    await client.initiateFulfillment({ userId: USER, fulfillmentData: [{ productId: '55', customizationId: 'RXJN83', inventoryProductId: '106' }] });
    expect(wire(server)).toMatchInlineSnapshot(`
      [
        {
          "body": {
            "fulfillmentData": [
              {
                "customizationId": "RXJN83",
                "inventoryProductId": "106",
                "productId": "55",
              },
            ],
            "fulfillmentProvider": "yubico",
            "userId": "00us2hPODQncCkxef0g3",
          },
          "method": "POST",
          "path": "/webauthn-registration/api/v1/initiate-fulfillment-request",
        },
      ]
    `);
    await expect(client.initiateFulfillment({ userId: USER, fulfillmentData: [] })).rejects.toMatchObject({ code: 'config' });
  });

  it('list, delete and mark-error use the user-scoped paths; list parses defensively', async () => {
    const { client, server } = await setup((req, res) => {
      if (req.method === 'GET') {
        return sendJson(res, 200, [
          factor('fwfA', 'ACTIVE', { fulfillmentProvider: 'yubico', profile: { credentialId: 'l3Br0n', authenticatorName: 'YubiKey 5C', presetPinAvailable: true }, _links: { self: { href: 'x', hints: { allow: ['DELETE'] } } } }),
          factor('fwfB', 'FULFILLMENT_ERRORED', { futureField: 1 }),
        ]);
      }
      return sendEmpty(res);
    });
    const factors = await client.listEnrollments(USER);
    expect(factors.map((f) => [f.id, f.status, f.fulfillmentProvider])).toEqual([['fwfA', 'ACTIVE', 'yubico'], ['fwfB', 'FULFILLMENT_ERRORED', undefined]]);
    expect(factors[0]!.profile).toEqual({ credentialId: 'l3Br0n', authenticatorName: 'YubiKey 5C', presetPinAvailable: true });
    await client.deleteEnrollment(USER, 'fwfA');
    await client.markError(USER, 'fwfB');
    expect(wire(server)).toEqual([
      { method: 'GET', path: `${WEBAUTHN}/users/${USER}/enrollments`, body: undefined },
      { method: 'DELETE', path: `${WEBAUTHN}/users/${USER}/enrollments/fwfA`, body: undefined },
      { method: 'POST', path: `${WEBAUTHN}/users/${USER}/enrollments/fwfB/mark-error`, body: undefined },
    ]);
    expect(server.requests[2]!.headers['content-type']).toBeUndefined();
  });

  it('getUser URL-encodes the login', async () => {
    const { client, server } = await setup((_req, res) =>
      sendJson(res, 200, { id: '00u1', status: 'ACTIVE', profile: { login: 'a+b/c@example.com', email: 'a+b/c@example.com', firstName: 'A', lastName: null, mobilePhone: null } }),
    );
    const user = await client.getUser('a+b/c@example.com');
    expect(user).toEqual({ id: '00u1', status: 'ACTIVE', profile: { login: 'a+b/c@example.com', email: 'a+b/c@example.com', firstName: 'A', lastName: null } });
    expect(server.requests[0]!.method).toBe('GET');
    expect(server.requests[0]!.path).toBe('/api/v1/users/a%2Bb%2Fc%40example.com');
  });

  it('listPendingOrders filters on the preregistration event and follows Link rel="next"', async () => {
    const event = (uuid: string, userId: string) => ({
      uuid,
      published: '2026-02-01T10:00:00.000Z',
      eventType: 'system.mfa.preregister.initiate',
      actor: { id: 'admin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
      target: [{ id: userId, type: 'User', alternateId: `${userId}@example.com`, displayName: `User ${userId}` }],
      debugContext: { debugData: { requestId: 'r1' } },
    });
    const { client, server } = await setup((req, res) => {
      const page = req.query.get('after');
      if (!page) return sendJson(res, 200, [event('e1', 'u1'), event('e2', 'u2')], { Link: `<${okta!.url}/api/v1/logs?after=p2>; rel="next", <${okta!.url}/api/v1/logs>; rel="self"` });
      if (page === 'p2') return sendJson(res, 200, [event('e3', 'u3'), { ...event('e4', 'x'), target: [] }], { Link: `<${okta!.url}/api/v1/logs?after=p3>; rel="next"` });
      return sendJson(res, 200, []);
    });
    const result = await client.listPendingOrders({ since: '2026-01-01T00:00:00Z' });
    expect(result.complete).toBe(true);
    expect(result.orders.map((o) => [o.eventId, o.userId, o.userLogin])).toEqual([['e1', 'u1', 'u1@example.com'], ['e2', 'u2', 'u2@example.com'], ['e3', 'u3', 'u3@example.com']]);
    const first = server.requests[0]!;
    expect(first.path).toBe('/api/v1/logs');
    expect(first.query.get('filter')).toBe('eventType eq "system.mfa.preregister.initiate"');
    expect(first.rawQuery).toContain('filter=eventType%20eq%20%22system.mfa.preregister.initiate%22');
    expect(first.query.get('since')).toBe('2026-01-01T00:00:00.000Z');
    expect(server.requests.map((r) => r.query.get('after'))).toEqual([null, 'p2', 'p3']);

    const bounded = await client.listPendingOrders({ maxPages: 1 });
    expect(bounded.complete).toBe(false);
    expect(bounded.orders).toHaveLength(2);
  });

  it('refuses a pagination link to another host (the token must not follow it)', async () => {
    const { client, server } = await setup((_req, res) =>
      sendJson(res, 200, [{ uuid: 'e1', published: 'x', eventType: 'system.mfa.preregister.initiate', target: [{ id: 'u1', type: 'User' }] }], {
        Link: '<https://evil.example.com/api/v1/logs?after=x>; rel="next"',
      }),
    );
    await expect(client.listPendingOrders()).rejects.toMatchObject({ code: 'bad-response' });
    expect(server.requests).toHaveLength(1);
  });

  it('a malformed reply is a bad-response naming the field and the request id', async () => {
    const { client } = await setup((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, [], { 'X-Okta-Request-Id': 'req-list' });
      return sendJson(res, 200, { credRequests: [{ authenticatorEnrollmentId: 'fwf1', credRequestJwe: 42 }], pinRequestJwe: 'p' }, { 'X-Okta-Request-Id': 'req-bad' });
    });
    const error = await client.enroll({ userId: USER, transportKey: TRANSPORT_KEY }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OktaError);
    expect(error).toMatchObject({ code: 'bad-response', requestId: 'req-bad' });
    expect((error as OktaError).message).toContain('credRequests[0].credRequestJwe');
    expect((error as OktaError).message).toContain('req-bad');
  });

  it('a non-JSON 200 is a bad-response', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>login</html>');
    });
    await expect(client.listEnrollments(USER)).rejects.toMatchObject({ code: 'bad-response' });
  });
});
