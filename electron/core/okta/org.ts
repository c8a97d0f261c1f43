// What counts as an Okta org URL. Tokens travel in headers, so anything but HTTPS is refused — except
// loopback, where the embedded simulator listens on plain HTTP and nothing leaves the machine.
import { isIP } from 'node:net';
import { OktaError } from './errors.js';

export interface OktaOrg {
  /** `https://myorg.okta.com` — scheme, host and port only; paths are appended absolute. */
  readonly origin: string;
  /** Host name without port: the default WebAuthn RP ID for enrollments. */
  readonly hostname: string;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function configError(summary: string, hint: string): OktaError {
  return new OktaError({ code: 'config', summary, hint, retryable: false });
}

/** Parses and normalizes the org URL a technician typed; throws OktaError 'config' saying what to fix. */
export function parseOrgUrl(input: string): OktaOrg {
  const text = input.trim();
  const example = 'Enter the org URL like https://myorg.okta.com.';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError('The Okta org URL is not a valid URL', example);
  }
  if (url.username || url.password) {
    throw configError('The Okta org URL must not contain a user name or password', example);
  }
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) {
      throw configError('The Okta org URL must use https://', 'Plain http:// is allowed only for the local simulator (localhost, 127.0.0.1, ::1). ' + example);
    }
  } else if (url.protocol !== 'https:') {
    throw configError(`The Okta org URL must use https://, not ${url.protocol}`, example);
  }
  if (/-admin\.okta(preview)?\.com$/i.test(url.hostname)) {
    throw configError('The Okta org URL points to the Admin Console domain', 'Remove "-admin" from the host name, e.g. https://myorg.okta.com.');
  }
  return { origin: url.origin, hostname: url.hostname.replace(/^\[|\]$/g, '') };
}

/** RP IDs are bare host names (no scheme, port or path — okta-prereg §4.2). */
export function parseRpId(input: string): string {
  const host = input.trim().toLowerCase();
  if (!HOSTNAME.test(host)) {
    throw configError(`"${input}" is not a valid RP ID`, 'Use a bare host name without protocol, port or path, e.g. myorg.okta.com.');
  }
  return host;
}
