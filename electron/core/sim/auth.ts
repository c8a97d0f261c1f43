// Who may call what: `SSWS <API token>` acts as a super admin; OAuth access tokens (`Bearer`, or `DPoP`
// with a proof) carry scopes, checked per endpoint (okta-prereg.md §2.2). A `.manage` scope includes the
// matching `.read` one, as in Okta.
import { forbidden, invalidToken } from './errors.js';
import { DpopProofError, safeEqual } from './oauth.js';
import type { OAuthServer } from './oauth.js';

export interface CallCredentials {
  readonly authorization: string | undefined;
  readonly dpop: string | undefined;
  readonly method: string;
  readonly url: string;
}

/** The caller as the system log names it. */
export interface Actor {
  readonly id: string;
  readonly type: 'User' | 'PublicClientApp';
  readonly displayName: string;
}

/** The API token acts as this admin user. */
export const API_TOKEN_ACTOR: Actor = { id: '00u1simadmin00000000', type: 'User', displayName: 'keybench simulator admin' };

export class Authorizer {
  constructor(
    private readonly apiToken: string,
    private readonly oauth: OAuthServer,
  ) {}

  /** Throws 401 E0000011 for a missing or bad credential, 403 E0000006 when the token lacks `scope`. */
  async authorize(call: CallCredentials, scope: string): Promise<Actor> {
    const match = /^(SSWS|Bearer|DPoP) +(\S+)$/i.exec(call.authorization?.trim() ?? '');
    const scheme = match?.[1]?.toLowerCase();
    const credential = match?.[2];
    if (scheme === undefined || credential === undefined) throw invalidToken();
    if (scheme === 'ssws') {
      if (!safeEqual(credential, this.apiToken)) throw invalidToken();
      return API_TOKEN_ACTOR;
    }
    const token = this.oauth.lookup(credential);
    if (token === undefined) throw invalidToken();
    if (scheme === 'dpop') {
      if (token.jkt === undefined || call.dpop === undefined) throw invalidToken();
      try {
        const proof = await this.oauth.verifyProof(call.dpop, call.method, call.url, credential);
        if (proof.jkt !== token.jkt) throw invalidToken();
      } catch (error) {
        if (error instanceof DpopProofError) throw invalidToken();
        throw error;
      }
    } else if (token.jkt !== undefined) {
      // A DPoP-bound token presented as a plain bearer token is refused, as RFC 9449 §7.1 requires.
      throw invalidToken();
    }
    if (!grants(token.scopes, scope)) throw forbidden();
    return { id: token.clientId, type: 'PublicClientApp', displayName: token.clientId };
  }
}

function grants(scopes: ReadonlySet<string>, needed: string): boolean {
  return scopes.has(needed) || (needed.endsWith('.read') && scopes.has(needed.replace(/\.read$/, '.manage')));
}
