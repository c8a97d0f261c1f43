// What a route hands back to the server: status, headers and a finished body. The server adds the
// headers every Okta response carries (request id, rate limit) and records the exchange.

export interface SimReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): SimReply {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export function emptyReply(status = 204): SimReply {
  return { status, headers: {}, body: '' };
}

export function textReply(status: number, contentType: string, body: string): SimReply {
  return { status, headers: { 'Content-Type': contentType }, body };
}
