// A tiny Okta stand-in for the client tests: a node:http server on 127.0.0.1 (port 0) that records every
// request and answers through a per-test handler.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  readonly json: unknown;
  /** Date.now() when the request arrived. */
  readonly at: number;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeOkta {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests in flight right now, and the most ever seen at once. */
  readonly inFlight: { now: number; max: number };
  close(): Promise<void>;
}

export async function startFakeOkta(handler: Handler): Promise<FakeOkta> {
  const requests: RecordedRequest[] = [];
  const inFlight = { now: 0, max: 0 };
  const server = createServer((incoming, res) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const req: RecordedRequest = {
        method: incoming.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        rawQuery: url.search,
        headers: incoming.headers,
        body,
        json,
        at: Date.now(),
      };
      requests.push(req);
      inFlight.now++;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
      res.on('close', () => inFlight.now--);
      Promise.resolve(handler(req, res)).catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'X-Okta-Request-Id': `req-${status}`, ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

export function sendEmpty(res: ServerResponse, status = 204, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'X-Okta-Request-Id': `req-${status}`, ...headers });
  res.end();
}

/** Okta error bodies exactly as okta-prereg §5.6 shows them. */
export const OKTA_ERRORS = {
  enroll400: {
    errorCode: 'E0000001',
    errorSummary: 'Api validation failed: webAuthnPreregistrationPinRequest|webAuthnPreregistrationCredentialRequest',
    errorLink: 'E0000001',
    errorId: 'oaehk3rssXQmOWDRsaFfxe8A',
    errorCauses: { errorSummary: 'There was an unexpected internal error. Please try again.' },
  },
  activate400: {
    errorCode: 'E0000001',
    errorSummary: 'Api validation failed: pinResponseJwe|webAuthnCredResponse',
    errorLink: 'E0000001',
    errorId: 'oaehk3rssXQmOWDRsaFfxe8B',
    errorCauses: { errorSummary: 'There was an unexpected internal error. Please try again.' },
  },
  invalidToken401: { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorLink: 'E0000011', errorId: 'oae401sample', errorCauses: [] },
  forbidden403: {
    errorCode: 'E0000006',
    errorSummary: 'You do not have permission to perform the requested action',
    errorLink: 'E0000006',
    errorId: 'sampleNUSD_8fdkFd8fs8SDBK',
    errorCauses: [],
  },
  notFound404: {
    errorCode: 'E0000007',
    errorSummary: 'Not found: Resource not found: 00uMissing (User)',
    errorLink: 'E0000007',
    errorId: 'sampleMlLvGUj_YD5v16vkYWY',
    errorCauses: [],
  },
  rateLimited429: {
    errorCode: 'E0000047',
    errorSummary: 'API call exceeded rate limit due to too many requests.',
    errorLink: 'E0000047',
    errorId: 'sampleQPivGUj_ND5v78vbYWW',
    errorCauses: [],
  },
  malformed400: { errorCode: 'E0000003', errorSummary: 'The request body was not well-formed.', errorLink: 'E0000003', errorId: 'oae400json', errorCauses: [] },
  causesArray400: {
    errorCode: 'E0000001',
    errorSummary: 'Api validation failed: enrollmentRpIds',
    errorLink: 'E0000001',
    errorId: 'oae400arr',
    errorCauses: [{ errorSummary: 'enrollmentRpIds: must not be empty' }, { errorSummary: 'userId: unknown user' }],
  },
} as const;

export const TRANSPORT_KEY = {
  kty: 'EC',
  crv: 'P-384',
  kid: 'APCS-Ttrans-C19881-I009',
  use: 'enc',
  x: 'r6AzcX3OSiJk1yQaBVYiBOtzFS9gNSpMDPvnVvl0CAX7el1ZyzmPG_BZ7u8sqTmF',
  y: 'RxPyGH1Xg74E2f5AQGkkddzsvTNY1R3R7mXTEM5wQtr1Y7C4XHlvITNZfU6G',
} as const;

export const SIGNING_KEY = {
  kty: 'EC',
  crv: 'P-384',
  kid: 'APCS-Tsgnkey-C19881-H0027616953',
  use: 'sig',
  x: 'tJc-j5osUCP-75ihCOKsswTOj3XsekayG3x79K2ndyOIXu08gDMkvL8rks06tEAa',
  y: 'hfVGbQeG4l2orqenn-GATWwTm8tLqHFHuwfJp33CCNOMtYYsgkAEnW60ORzt4YV-',
} as const;

export function factor(id: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, factorType: 'webauthn', provider: 'FIDO', vendorName: 'FIDO', status, created: '2026-01-01T00:00:00.000Z', ...extra };
}
