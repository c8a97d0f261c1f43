// Optional traffic recording: one JSON line per request/response pair. Credentials and PINs are masked
// twice: by field name, and by value (every PIN and token the simulator knows), so a PIN that reaches a
// body some other way — the outbox message route, say — is still masked.
import { appendFile } from 'node:fs/promises';

export interface RecordedExchange {
  readonly time: string;
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly requestHeaders: Readonly<Record<string, string | string[] | undefined>>;
  readonly requestBody: string;
  readonly status: number;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly responseBody: string;
  readonly durationMs: number;
  readonly fault?: string;
}

const MASK = '***';
const SECRET_HEADERS = new Set(['authorization', 'dpop', 'cookie', 'set-cookie']);
const SECRET_FIELDS = new Set(['pin', 'access_token', 'client_assertion', 'refresh_token', 'd']);

export class Recorder {
  private pending: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly knownSecrets: () => Iterable<string>,
  ) {}

  append(exchange: RecordedExchange): void {
    const line = this.mask(JSON.stringify({
      ...exchange,
      requestHeaders: maskHeaders(exchange.requestHeaders),
      requestBody: maskBody(exchange.requestBody),
      responseHeaders: maskHeaders(exchange.responseHeaders),
      responseBody: maskBody(exchange.responseBody),
    }));
    this.pending = this.pending.then(() => appendFile(this.path, `${line}\n`, { encoding: 'utf8', mode: 0o600 }));
  }

  /** Resolves when every appended line is on disk. */
  flush(): Promise<void> {
    return this.pending;
  }

  private mask(line: string): string {
    let masked = line;
    for (const secret of this.knownSecrets()) {
      if (secret.length >= 4) masked = masked.split(secret).join(MASK);
    }
    return masked;
  }
}

function maskHeaders<T extends string | string[] | undefined>(headers: Readonly<Record<string, T>>): Record<string, T | string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, SECRET_HEADERS.has(name.toLowerCase()) ? MASK : value]),
  );
}

/** JSON bodies are masked field by field, form bodies parameter by parameter; anything else is left to the value mask. */
function maskBody(body: string): string {
  if (body === '') return body;
  try {
    return JSON.stringify(maskJson(JSON.parse(body)));
  } catch {
    if (/^[\w.%+-]+=[^&]*(&[\w.%+-]+=[^&]*)*$/.test(body)) {
      const form = new URLSearchParams(body);
      for (const key of [...form.keys()]) if (SECRET_FIELDS.has(key)) form.set(key, MASK);
      return form.toString();
    }
    return body;
  }
}

function maskJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? MASK : maskJson(v)]),
    );
  }
  return value;
}
