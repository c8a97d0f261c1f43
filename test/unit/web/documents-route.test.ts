import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OneTimeDocuments } from '../../../electron/core/station/printing/one-time-documents.js';
import {
  DOCUMENT_GONE_MESSAGE,
  DOCUMENT_SESSION_HEADER,
  documentSessionCheck,
  handleDocumentRequest,
  safeFileName,
} from '../../../electron/web/documents-route.js';
import { SessionSecret } from '../../../electron/web/session.js';

let server: Server;
let base: string;
let documents: OneTimeDocuments;
let session: string;

beforeEach(async () => {
  documents = new OneTimeDocuments();
  const secret = SessionSecret.generate();
  session = new URL(secret.linkFrom('http://127.0.0.1/')).hash.replace('#session=', '');
  const sessionOk = documentSessionCheck(secret);
  server = createServer((request, response) => {
    if (handleDocumentRequest(request, response, documents, sessionOk)) return;
    response.writeHead(418).end('not mine');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  documents.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function fetchDocument(token: string, headers: Record<string, string> = { [DOCUMENT_SESSION_HEADER]: session }, method = 'GET'): Promise<Response> {
  return fetch(`${base}/documents/${token}`, { method, headers });
}

function mailer(): Uint8Array {
  return new TextEncoder().encode('%PDF-1.7\nPIN 482913\n%%EOF\n');
}

describe('GET /documents/<token>', () => {
  it('serves the PDF once as a non-cacheable attachment, then 404 with what to do instead', async () => {
    const pdf = mailer();
    const expected = new Uint8Array(pdf);
    const { token } = documents.offer(pdf, 'PIN mailer "alice"\r\nX-Evil: 1.pdf');

    const first = await fetchDocument(token);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/pdf');
    expect(first.headers.get('content-disposition')).toBe('attachment; filename="PIN mailer _alice_X-Evil_ 1.pdf"');
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(expected);

    const second = await fetchDocument(token);
    expect(second.status).toBe(404);
    expect(second.headers.get('cache-control')).toBe('no-store');
    expect(await second.text()).toBe(`${DOCUMENT_GONE_MESSAGE}\n`);
  });

  it('zeroes the served bytes once the response is over, so the PIN is not kept', async () => {
    const pdf = mailer();
    const { token } = documents.offer(pdf, 'mailer.pdf');
    const response = await fetchDocument(token);
    await response.arrayBuffer();
    // The server zeroes on its response's 'close', which may come a moment after the client has the body.
    await vi.waitFor(() => expect(pdf.every((b) => b === 0)).toBe(true));
  });

  it('refuses a request without the session secret and leaves the document for the real page', async () => {
    const { token } = documents.offer(mailer(), 'mailer.pdf');
    expect((await fetchDocument(token, {})).status).toBe(403);
    expect((await fetchDocument(token, { [DOCUMENT_SESSION_HEADER]: `${session}x` })).status).toBe(403);
    expect((await fetchDocument('A'.repeat(43), { [DOCUMENT_SESSION_HEADER]: 'wrong' })).status).toBe(403);
    expect(documents.size).toBe(1);
    expect((await fetchDocument(token)).status).toBe(200);
  });

  it('serves a plain same-origin link from the station page, but not a link on another site', async () => {
    const { token } = documents.offer(mailer(), 'mailer.pdf');
    expect((await fetchDocument(token, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await fetchDocument(token, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect(documents.size).toBe(1);
    expect((await fetchDocument(token, { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('does not let a HEAD request use up the download', async () => {
    const { token } = documents.offer(mailer(), 'mailer.pdf');
    const head = await fetchDocument(token, { [DOCUMENT_SESSION_HEADER]: session }, 'HEAD');
    expect(head.status).toBe(405);
    expect(documents.size).toBe(1);
  });

  it('answers 404 for tokens it never issued, and leaves other paths to the rest of the server', async () => {
    expect((await fetchDocument('A'.repeat(43))).status).toBe(404);
    expect((await fetchDocument('..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
    const other = await fetch(`${base}/index.html`);
    expect(other.status).toBe(418);
  });
});

describe('safeFileName', () => {
  it('keeps names quotable and always ends in .pdf', () => {
    expect(safeFileName('Key label 0042.pdf')).toBe('Key label 0042.pdf');
    expect(safeFileName('mailer')).toBe('mailer.pdf');
    expect(safeFileName('ü/..\\"')).toBe('document.pdf');
  });
});
