// The simulator's mail outbox: send-pin writes one RFC 5322 message per mail into a folder, where a
// person (or a test) can open it. The listing never shows the PIN; only the message files hold it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PIN_MAIL_SUBJECT = 'Your security key PIN';

export interface OutboxMail {
  /** File name inside the outbox folder. */
  readonly file: string;
  readonly path: string;
  readonly to: string;
  readonly subject: string;
  readonly userId: string;
  readonly authenticatorEnrollmentId: string;
  readonly sentAt: string;
}

export interface PinMail {
  readonly to: string;
  readonly recipientName: string;
  readonly userId: string;
  readonly authenticatorEnrollmentId: string;
  readonly authenticatorName: string;
  readonly pin: string;
  readonly orgName: string;
  readonly orgDomain: string;
}

export class Outbox {
  private readonly mails: OutboxMail[] = [];

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  list(): readonly OutboxMail[] {
    return [...this.mails];
  }

  async sendPin(mail: PinMail, now: Date, messageId: string): Promise<OutboxMail> {
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    const file = `${stamp}-${String(this.mails.length + 1).padStart(4, '0')}-${mail.userId}.eml`;
    const path = join(this.dir, file);
    await writeFile(path, renderPinMail(mail, now, messageId), { encoding: 'utf8', mode: 0o600 });
    const entry: OutboxMail = {
      file,
      path,
      to: mail.to,
      subject: PIN_MAIL_SUBJECT,
      userId: mail.userId,
      authenticatorEnrollmentId: mail.authenticatorEnrollmentId,
      sentAt: now.toISOString(),
    };
    this.mails.push(entry);
    return entry;
  }

  /** The raw message of a listed mail; undefined for any name the outbox did not write. */
  async read(file: string): Promise<string | undefined> {
    const mail = this.mails.find((m) => m.file === file);
    return mail === undefined ? undefined : readFile(mail.path, 'utf8');
  }

  html(): string {
    const rows = this.mails
      .map((m) => `<tr><td>${escapeHtml(m.sentAt)}</td><td>${escapeHtml(m.to)}</td><td>${escapeHtml(m.subject)}</td>` +
        `<td>${escapeHtml(m.authenticatorEnrollmentId)}</td><td><a href="/outbox/${encodeURIComponent(m.file)}">${escapeHtml(m.file)}</a></td></tr>`)
      .join('\n');
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keybench simulator outbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style>
</head><body><h1>Outbox</h1><p>${this.mails.length} mail(s) in ${escapeHtml(this.dir)}</p>
<table><thead><tr><th>Sent</th><th>To</th><th>Subject</th><th>Enrollment</th><th>Message</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
  }
}

function renderPinMail(mail: PinMail, now: Date, messageId: string): string {
  const headers = [
    `From: ${mail.orgName} <noreply@${mail.orgDomain}>`,
    `To: ${encodeDisplayName(mail.recipientName)} <${mail.to}>`,
    `Subject: ${PIN_MAIL_SUBJECT}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${messageId}@${mail.orgDomain}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  const body = [
    `Hello ${mail.recipientName},`,
    '',
    `Your security key (${mail.authenticatorName}) has been set up for ${mail.orgName}.`,
    '',
    `Your security key PIN: ${mail.pin}`,
    '',
    'You will need this PIN the first time you sign in with the key; the key may ask you to choose a new one.',
    'Keep it secret and do not forward this message.',
  ];
  // RFC 5322 lines end in CRLF.
  return [...headers, '', ...body, ''].join('\r\n');
}

/** RFC 2047 encoded-word when a display name is not plain ASCII, quoted string otherwise. */
function encodeDisplayName(name: string): string {
  return /^[\x20-\x7e]*$/.test(name)
    ? `"${name.replace(/["\\]/g, '\\$&')}"`
    : `=?utf-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
