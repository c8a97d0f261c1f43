// Typed errors of the Okta client. Every error says what happened and, in `hint`, what a technician or an
// Okta administrator can do about it. Messages carry Okta's own summary, error code and request id (for
// support cases) but never a token, a client assertion or key material.
import type { OktaErrorBody } from './models.js';

export type OktaErrorCode =
  | 'config'
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'rate-limited'
  | 'server'
  | 'http'
  | 'timeout'
  | 'network'
  | 'cancelled'
  | 'bad-response'
  | 'auth'
  | 'enroll-ambiguous'
  | 'activate-ambiguous';

export type AuthKind = 'ssws' | 'oauth';

export interface OktaErrorInit {
  readonly code: OktaErrorCode;
  readonly summary: string;
  readonly hint: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly errorCode?: string;
  readonly errorId?: string;
  readonly causes?: readonly string[];
  readonly requestId?: string;
  readonly method?: string;
  readonly path?: string;
  readonly orphanIds?: readonly string[];
  /** The OAuth `error` of a refused token request (invalid_scope, invalid_client, …). */
  readonly oauthError?: string;
}

export class OktaError extends Error {
  override readonly name = 'OktaError';
  readonly code: OktaErrorCode;
  /** HTTP status, when Okta answered. */
  readonly status: number | undefined;
  /** Okta's error code, e.g. E0000011. */
  readonly errorCode: string | undefined;
  /** Okta's per-occurrence error id (quote it to Okta support). */
  readonly errorId: string | undefined;
  readonly summary: string;
  readonly causes: readonly string[];
  /** X-Okta-Request-Id of the failing response. */
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  /** What to do about it. */
  readonly hint: string;
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** enroll-ambiguous: factors Okta created for a call whose answer was lost; delete them before retrying. */
  readonly orphanIds: readonly string[];
  /** The OAuth `error` of a refused token request (invalid_scope, invalid_client, …). */
  readonly oauthError: string | undefined;

  constructor(init: OktaErrorInit) {
    super(composeMessage(init));
    this.code = init.code;
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.errorId = init.errorId;
    this.summary = init.summary;
    this.causes = init.causes ?? [];
    this.requestId = init.requestId;
    this.retryable = init.retryable;
    this.hint = init.hint;
    this.method = init.method;
    this.path = init.path;
    this.orphanIds = init.orphanIds ?? [];
    this.oauthError = init.oauthError;
  }
}

function composeMessage(init: OktaErrorInit): string {
  const where = init.method && init.path ? `${init.method} ${init.path}: ` : '';
  const causes = init.causes?.length ? ` (${init.causes.join('; ')})` : '';
  const refs = [
    init.status !== undefined ? `HTTP ${init.status}` : undefined,
    init.errorCode,
    init.requestId ? `request id ${init.requestId}` : undefined,
  ].filter((part) => part !== undefined);
  const ref = refs.length ? ` [${refs.join(', ')}]` : '';
  return `${where}${init.summary}${causes}${ref}. ${init.hint}`;
}

const WEBAUTHN_PREFIX = '/webauthn-registration/';

export interface ResponseContext {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly requestId: string | undefined;
  readonly authKind: AuthKind;
}

/** Builds the error for a non-2xx answer that will not be retried (any more). */
export function errorFromResponse(ctx: ResponseContext, body: OktaErrorBody | undefined): OktaError {
  const { status } = ctx;
  const summary = body?.errorSummary ?? `Okta answered HTTP ${status}`;
  const classified = classify(ctx, body);
  return new OktaError({
    ...classified,
    summary,
    status,
    errorCode: body?.errorCode,
    errorId: body?.errorId,
    causes: body?.errorCauses ?? [],
    requestId: ctx.requestId,
    method: ctx.method,
    path: ctx.path,
  });
}

function classify(ctx: ResponseContext, body: OktaErrorBody | undefined): { code: OktaErrorCode; hint: string; retryable: boolean } {
  const support = body?.errorId ? ` If it persists, quote error id ${body.errorId} to Okta support.` : '';
  switch (ctx.status) {
    case 400:
      if (body?.errorCode === 'E0000003') {
        return { code: 'validation', retryable: false, hint: 'Okta could not read the request body; this is a station bug — report it with the request id.' };
      }
      return {
        code: 'validation',
        retryable: false,
        hint: `Okta rejected the request as invalid${body?.errorCauses.length ? ' for the causes listed' : ''}; check the user, RP IDs and keys sent.${support}`,
      };
    case 401:
      return {
        code: 'unauthorized',
        retryable: false,
        hint: ctx.authKind === 'ssws'
          ? 'The API token is invalid or expired: create a new one in the Okta Admin Console (Security › API › Tokens) and enter it in Settings.'
          : 'The access token was rejected: check the service app still exists and is active, then reconnect it in Settings.',
      };
    case 403:
      return {
        code: 'forbidden',
        retryable: false,
        hint: ctx.authKind === 'ssws'
          ? 'The token lacks okta.users.manage (or its admin lacks a role over this user): use a token of an admin who can manage these users.'
          : 'The token lacks okta.users.manage (or the app lacks an admin role): grant okta.users.manage and okta.users.read on the app\'s Okta API Scopes tab and assign it an admin role covering these users.',
      };
    case 404:
      if (ctx.path.startsWith(WEBAUTHN_PREFIX)) {
        return {
          code: 'not-found',
          retryable: false,
          hint: 'WebAuthn preregistration is not enabled on this org (LIMITED_GA: ask Okta to enable it), or the user or enrollment does not exist.',
        };
      }
      if (ctx.path.startsWith('/api/v1/users/')) {
        return { code: 'not-found', retryable: false, hint: 'User not found: check the login or user id of the order.' };
      }
      return { code: 'not-found', retryable: false, hint: 'Okta has no such resource; check the org URL.' };
    case 429:
      return {
        code: 'rate-limited',
        retryable: true,
        hint: 'Okta kept rate-limiting the station (E0000047): wait a minute, provision fewer keys in parallel, or raise the app\'s rate-limit share in the Admin Console.',
      };
    default:
      if (ctx.status >= 500) {
        return { code: 'server', retryable: true, hint: `Okta had a server error; try again in a minute and check status.okta.com.${support}` };
      }
      return { code: 'http', retryable: false, hint: `Unexpected answer from Okta; check the org URL.${support}` };
  }
}
