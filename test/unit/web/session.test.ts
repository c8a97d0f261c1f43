import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SessionSecret } from '../../../electron/web/session.js';

function valueOf(secret: SessionSecret): string {
  return new URL(secret.linkFrom('http://127.0.0.1:1/')).hash.replace('#session=', '');
}

describe('SessionSecret', () => {
  it('matches only the exact secret, whatever is presented', () => {
    const secret = SessionSecret.generate();
    const value = valueOf(secret);
    expect(secret.matches(value)).toBe(true);
    for (const wrong of [value.slice(1), `${value}x`, value.toUpperCase(), '', 'x'.repeat(5000), undefined, null, 42, { value }]) {
      expect(secret.matches(wrong)).toBe(false);
    }
    expect(SessionSecret.generate().matches(value)).toBe(false);
  });

  it('puts the secret in the fragment of the link and nowhere a log could pick it up', () => {
    const secret = SessionSecret.generate();
    const value = valueOf(secret);
    expect(secret.linkFrom('http://127.0.0.1:8080/')).toBe(`http://127.0.0.1:8080/#session=${value}`);
    expect(secret.linkFrom('http://127.0.0.1:8080/#old')).toBe(`http://127.0.0.1:8080/#session=${value}`);
    const dumps = [String(secret), `${secret}`, JSON.stringify({ secret }), inspect(secret), inspect({ nested: { secret } })];
    for (const dump of dumps) expect(dump).not.toContain(value);
  });
});
