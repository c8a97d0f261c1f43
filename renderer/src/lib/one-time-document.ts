// Browser mode: a PIN mailer waits on the station at /documents/<token> and can be fetched exactly once.
// The page starts the download with a plain same-origin link, so the browser saves the PDF without this
// page's scripts ever holding its bytes (electron/web/documents-route.ts accepts same-origin links).
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

export type DocumentOutcome = { ok: true } | { ok: false; message: string };

export function downloadOneTimeDocument(token: string, fileName: string): DocumentOutcome {
  if (!TOKEN.test(token)) return { ok: false, message: `The station sent a malformed link for ${fileName}. Have Okta send the PIN instead.` };
  const link = document.createElement('a');
  link.href = `documents/${token}`;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  return { ok: true };
}
