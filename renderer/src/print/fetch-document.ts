// The print page's one document: fetched once from its own origin, never cached, the bytes handed straight
// to the caller. The station serves it once (`documents/<token>`), so any failure here means nothing printed.
import { PrintPageError } from './print-page-error.js';

/** Far above any keybench document (a few kB); refuses to feed pdf.js something absurd. */
const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

export async function fetchOneTimeDocument(path: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(path, { cache: 'no-store', credentials: 'same-origin', redirect: 'error', referrerPolicy: 'no-referrer' });
  } catch {
    throw new PrintPageError('The print page could not reach the station to fetch the document; nothing was printed. Check that the station is still running, then print again.');
  }
  if (!response.ok) throw new PrintPageError(statusReason(response.status));
  if (response.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase() !== 'application/pdf') {
    throw new PrintPageError('The station answered the document request with something other than a PDF; nothing was printed.');
  }
  let body: Uint8Array;
  try {
    body = new Uint8Array(await response.arrayBuffer());
  } catch {
    throw new PrintPageError('The connection to the station broke while the document was being fetched; nothing was printed. Print it again.');
  }
  if (body.byteLength === 0 || body.byteLength > MAX_DOCUMENT_BYTES) {
    body.fill(0);
    throw new PrintPageError('The station sent an empty or oversized document; nothing was printed.');
  }
  return body;
}

function statusReason(status: number): string {
  switch (status) {
    case 404:
      return 'The station no longer holds this document: it is handed out only once and expires after a few minutes. Nothing was printed.';
    case 403:
      return 'The station refused to hand this page the document (it did not come from the station itself); nothing was printed.';
    default:
      return `The station answered HTTP ${status} when the print page asked for the document; nothing was printed.`;
  }
}
