// The secret that proves a browser tab was opened from the link `keybench serve` printed. It travels only
// in the URL fragment (never sent in an HTTP request, never in a Referer or an access log) and then in the
// first WebSocket message. A new one is made at every start, so a link outlives only its own server.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

const HIDDEN = '[session secret]';

export class SessionSecret {
  readonly #value: string;
  readonly #digest: Buffer;

  private constructor(value: string) {
    this.#value = value;
    this.#digest = digest(value);
  }

  /** 32 random bytes, base64url: 43 characters, safe in a URL fragment without escaping. */
  static generate(): SessionSecret {
    return new SessionSecret(randomBytes(32).toString('base64url'));
  }

  /** The link to open the station in a browser: `<baseUrl>#session=<secret>`. */
  linkFrom(baseUrl: string): string {
    return `${baseUrl.split('#')[0]}#session=${this.#value}`;
  }

  /** Constant-time comparison; anything that is not a string simply does not match. */
  matches(presented: unknown): boolean {
    if (typeof presented !== 'string' || presented.length > 1024) return false;
    // Comparing fixed-length digests keeps the time independent of where, or whether, the lengths differ.
    return timingSafeEqual(this.#digest, digest(presented));
  }

  // A stray log line or JSON dump of the bridge state must not leak the secret.
  toString(): string {
    return HIDDEN;
  }

  toJSON(): string {
    return HIDDEN;
  }

  [inspect.custom](): string {
    return HIDDEN;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
