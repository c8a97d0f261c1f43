import { describe, expect, it } from 'vitest';
import { OktaClient } from '../../../electron/core/okta/client.js';
import { OktaError } from '../../../electron/core/okta/errors.js';
import { parseOrgUrl, parseRpId } from '../../../electron/core/okta/org.js';

function configError(fn: () => unknown): OktaError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OktaError);
    expect(error).toMatchObject({ code: 'config', retryable: false });
    return error as OktaError;
  }
  throw new Error('expected a config error');
}

describe('org URL rules', () => {
  it('accepts https and normalizes to the origin (no path, no trailing slash)', () => {
    expect(parseOrgUrl('https://MyOrg.okta.com/')).toEqual({ origin: 'https://myorg.okta.com', hostname: 'myorg.okta.com' });
    expect(parseOrgUrl('  https://myorg.oktapreview.com/app/UserHome?x=1#top ')).toEqual({ origin: 'https://myorg.oktapreview.com', hostname: 'myorg.oktapreview.com' });
    expect(parseOrgUrl('https://login.example.com:8443')).toEqual({ origin: 'https://login.example.com:8443', hostname: 'login.example.com' });
  });

  it.each(['http://localhost:8080', 'http://127.0.0.1:1234/', 'http://127.9.8.7', 'http://[::1]:3000'])('allows plain http on loopback: %s', (url) => {
    expect(parseOrgUrl(url).origin).toBe(new URL(url).origin);
  });

  it.each(['http://myorg.okta.com', 'http://localhost.evil.com', 'http://127.0.0.1.nip.io', 'http://10.0.0.1', 'http://[::2]'])('refuses plain http elsewhere: %s', (url) => {
    const error = configError(() => parseOrgUrl(url));
    expect(error.message).toMatch(/must use https:\/\//);
    expect(error.hint).toMatch(/simulator/);
  });

  it.each([
    ['ftp://myorg.okta.com', /https/],
    ['myorg.okta.com', /not a valid URL/],
    ['https://admin:pw@myorg.okta.com', /user name or password/],
    ['https://myorg-admin.okta.com', /Admin Console/],
  ])('refuses %s with a clear message', (url, message) => {
    expect(configError(() => parseOrgUrl(url)).message).toMatch(message);
  });

  it('the client applies the rules and uses the host name as default RP ID', () => {
    configError(() => new OktaClient({ orgUrl: 'http://myorg.okta.com', credentials: { kind: 'ssws', token: '00abcdefghijklmnop' } }));
    const client = new OktaClient({ orgUrl: 'https://myorg.okta.com/', credentials: { kind: 'ssws', token: '00abcdefghijklmnop' } });
    expect(client.org).toEqual({ origin: 'https://myorg.okta.com', hostname: 'myorg.okta.com' });
  });

  it('RP IDs are bare host names', () => {
    expect(parseRpId(' Login.Example.com ')).toBe('login.example.com');
    for (const bad of ['https://login.example.com', 'login.example.com/path', 'login.example.com:443', '', 'a..b']) {
      configError(() => parseRpId(bad));
    }
  });
});
