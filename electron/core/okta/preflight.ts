// Tenant preflight (`keybench doctor`, the Settings panel): before a bench day, does the org answer, is the
// credential accepted and scoped, is WebAuthn preregistration enabled, is the station clock close to Okta's,
// and can each ordered user get a key and a PIN mail. Each failure says how to fix it in the Okta Admin
// Console. Details quote Okta's summaries and request ids, never a credential.
import { DEFAULT_SCOPES } from './auth.js';
import type { OktaClient } from './client.js';
import { OktaError } from './errors.js';
import type { OktaUser, PreregistrationFactor } from './models.js';

export type PreflightCheckId =
  | 'reachable'
  | 'token'
  | 'scopes'
  | 'preregistration'
  | 'clock'
  | 'user-exists'
  | 'user-status'
  | 'user-email'
  | 'user-no-pending';

export type PreflightStatus = 'pass' | 'fail' | 'warn' | 'skipped';

export interface PreflightCheck {
  readonly id: PreflightCheckId;
  /** The login as given, for the per-user checks. */
  readonly subject?: string;
  readonly status: PreflightStatus;
  readonly detail: string;
  /** What to change, mostly as an Okta Admin Console path. */
  readonly fix?: string;
}

export interface PreflightReport {
  /** No check failed (warnings allowed). */
  readonly ok: boolean;
  readonly checks: PreflightCheck[];
}

export interface PreflightOptions {
  /** Logins, e-mails or user ids of the orders to check. */
  readonly users?: readonly string[];
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  /** Clock skew that fails the check (default 5 min); above 60 s (or this, if lower) it warns. */
  readonly maxSkewMs?: number;
}

export const REQUIRED_SCOPES: readonly string[] = DEFAULT_SCOPES;
/** Preregistration factor statuses of an order still in fulfillment: a second one would order twice. */
export const PENDING_FACTOR_STATUSES: ReadonlySet<string> = new Set(['PENDING_ACTIVATION', 'ENROLLED']);
/** A well-formed Okta user id no org holds: the harmless target of the token and API probes. */
export const PROBE_USER_ID = '00ukeybenchpreflight';

const WARN_SKEW_MS = 60_000;
const DEFAULT_MAX_SKEW_MS = 5 * 60_000;
const USER_CHECKS = ['user-exists', 'user-status', 'user-email', 'user-no-pending'] as const;
const ELIGIBLE_STATUSES = new Set(['ACTIVE', 'STAGED']);

const FIX = {
  reachable: 'Check the org URL (https://<yourorg>.okta.com, not the -admin host), the network and any proxy; status.okta.com shows outages.',
  ssws: 'Admin Console → Security → API → Tokens: create a token as a Super or Org Administrator and give it to keybench ($KEYBENCH_OKTA_TOKEN, or Settings).',
  sswsRole: 'Admin Console → Security → Administrators: the admin who created the token needs Super Administrator or Organization Administrator (or a custom role that may manage users and their authenticators) over these users.',
  oauthApp: 'Admin Console → Applications → Applications → <service app> → General: check the client ID, that the app is active with the Client Credentials grant, and that its public key (same kid) matches the station\'s private key.',
  oauthScopes: 'Admin Console → Applications → Applications → <service app> → Okta API Scopes: grant okta.users.manage and okta.users.read; then Admin roles: assign a role covering these users.',
  preregistration: 'WebAuthn Preregistration is LIMITED_GA: ask Okta support (or your account team) to enable it on this org (Okta Identity Engine), then run this check again.',
  clock: 'Set the station clock automatically (NTP): Windows Settings → Time & language → Set time automatically; Linux `timedatectl set-ntp true`; macOS System Settings → General → Date & Time.',
} as const;

type Access =
  | { readonly kind: 'refused'; readonly check: PreflightCheck }
  | { readonly kind: 'no-read'; readonly error: OktaError }
  | { readonly kind: 'ok' };

type Lookup = { readonly user: OktaUser } | { readonly error: OktaError };

export async function runPreflight(client: OktaClient, options: PreflightOptions = {}): Promise<PreflightReport> {
  const now = options.now ?? (() => new Date());
  const signal = options.signal;
  const logins = distinct(options.users ?? []);
  const origin = client.org.origin;

  const sentAt = now().getTime();
  let probe;
  try {
    probe = await client.probe({ signal });
  } catch (error) {
    const failure = oktaErrorOrThrow(error);
    const why = `skipped: Okta at ${origin} does not answer`;
    return report([
      { id: 'reachable', status: 'fail', detail: `Okta at ${origin} does not answer: ${describe(failure)}`, fix: FIX.reachable },
      ...(['token', 'scopes', 'preregistration', 'clock'] as const).map((id) => skipped(id, why)),
      ...logins.flatMap((login) => USER_CHECKS.map((id) => skipped(id, why, login))),
    ]);
  }
  const localMid = (sentAt + now().getTime()) / 2;
  const reachable: PreflightCheck = { id: 'reachable', status: 'pass', detail: `Okta at ${origin} answered (HTTP ${probe.status})` };
  const clock = clockCheck(probe.serverDate, localMid, options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);

  const access = await checkAccess(client, signal);
  if (access.kind === 'refused') {
    const why = 'skipped: Okta refused the credential';
    return report([
      reachable,
      access.check,
      skipped('scopes', why),
      skipped('preregistration', why),
      clock,
      ...logins.flatMap((login) => USER_CHECKS.map((id) => skipped(id, why, login))),
    ]);
  }
  const token: PreflightCheck = access.kind === 'ok'
    ? { id: 'token', status: 'pass', detail: `Okta accepted the ${credentialName(client)}` }
    : { id: 'token', status: 'pass', detail: `Okta accepted the ${credentialName(client)}, but it may not read users` };
  const scopes = await scopesCheck(client, access, signal);
  if (access.kind === 'no-read') {
    const why = 'skipped: the credential may not read users';
    return report([
      reachable,
      token,
      scopes,
      skipped('preregistration', why),
      clock,
      ...logins.flatMap((login) => USER_CHECKS.map((id) => skipped(id, why, login))),
    ]);
  }

  const lookups = new Map<string, Lookup>();
  for (const login of logins) lookups.set(login, await lookUp(client, login, signal));
  const target = [...lookups.values()].find((l): l is { user: OktaUser } => 'user' in l)?.user;
  const listings = new Map<string, PreregistrationFactor[]>();
  const preregistration = await preregistrationCheck(client, target, listings, signal);

  const perUser: PreflightCheck[] = [];
  for (const login of logins) {
    perUser.push(...(await userChecks(client, login, lookups.get(login)!, preregistration.status === 'pass', listings, signal)));
  }
  return report([reachable, token, scopes, preregistration, clock, ...perUser]);
}

function report(checks: PreflightCheck[]): PreflightReport {
  return { ok: checks.every((check) => check.status !== 'fail'), checks };
}

function skipped(id: PreflightCheckId, detail: string, subject?: string): PreflightCheck {
  return subject === undefined ? { id, status: 'skipped', detail } : { id, subject, status: 'skipped', detail };
}

function distinct(users: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of users) {
    const login = raw.trim();
    if (login === '' || seen.has(login.toLowerCase())) continue;
    seen.add(login.toLowerCase());
    out.push(login);
  }
  return out;
}

/** Cancellation is the caller's decision, not a finding: it propagates. Anything not from the client is a bug. */
function oktaErrorOrThrow(error: unknown): OktaError {
  if (!(error instanceof OktaError) || error.code === 'cancelled') throw error;
  return error;
}

function describe(error: OktaError): string {
  const refs = [error.status === undefined ? undefined : `HTTP ${error.status}`, error.errorCode, error.requestId ? `request id ${error.requestId}` : undefined]
    .filter((part) => part !== undefined);
  return `${error.summary}${refs.length > 0 ? ` [${refs.join(', ')}]` : ''}`;
}

function credentialName(client: OktaClient): string {
  return client.authKind === 'ssws' ? 'SSWS API token' : 'OAuth service app';
}

function clockCheck(serverDate: Date | undefined, localMs: number, maxSkewMs: number): PreflightCheck {
  if (serverDate === undefined) {
    return { id: 'clock', status: 'warn', detail: 'Okta\'s answer had no Date header, so the clock could not be compared', fix: FIX.clock };
  }
  const skewMs = serverDate.getTime() - localMs;
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  const side = skewMs > 0 ? 'behind' : 'ahead of';
  const what = `The station clock is ${seconds} s ${side} Okta's`;
  // The Date header has one-second resolution.
  if (Math.abs(skewMs) > maxSkewMs) {
    return { id: 'clock', status: 'fail', detail: `${what}: OAuth client assertions and DPoP proofs will be refused`, fix: FIX.clock };
  }
  if (Math.abs(skewMs) > Math.min(WARN_SKEW_MS, maxSkewMs)) {
    return { id: 'clock', status: 'warn', detail: `${what}: signed assertions may be refused as it grows`, fix: FIX.clock };
  }
  return { id: 'clock', status: 'pass', detail: `The station clock is within ${Math.max(seconds, 1)} s of Okta's` };
}

/** A user lookup for an id no org holds: 404 proves the credential works and may read users. */
async function checkAccess(client: OktaClient, signal: AbortSignal | undefined): Promise<Access> {
  try {
    await client.getUser(PROBE_USER_ID, { signal });
    return { kind: 'ok' };
  } catch (error) {
    const failure = oktaErrorOrThrow(error);
    if (failure.code === 'not-found') return { kind: 'ok' };
    if (failure.code === 'forbidden' || failure.oauthError === 'invalid_scope') return { kind: 'no-read', error: failure };
    const fix = client.authKind === 'ssws' ? FIX.ssws : failure.code === 'unauthorized' || failure.code === 'auth' ? FIX.oauthApp : failure.hint;
    return { kind: 'refused', check: { id: 'token', status: 'fail', detail: `Okta refused the ${credentialName(client)}: ${describe(failure)}`, fix } };
  }
}

async function scopesCheck(client: OktaClient, access: Exclude<Access, { kind: 'refused' }>, signal: AbortSignal | undefined): Promise<PreflightCheck> {
  if (client.authKind === 'ssws') {
    if (access.kind === 'no-read') {
      return { id: 'scopes', status: 'fail', detail: `The token's admin may not read users: ${describe(access.error)}`, fix: FIX.sswsRole };
    }
    return {
      id: 'scopes',
      status: 'warn',
      detail: 'SSWS tokens carry no scopes: reading users works, but managing them (okta.users.manage) rests on the admin role of the token\'s creator and is proven only by the first enroll',
      fix: FIX.sswsRole,
    };
  }
  if (access.kind === 'no-read') {
    const what = access.error.oauthError === 'invalid_scope' ? 'Okta refused the scopes the station asks for' : 'The access token may not read users';
    return { id: 'scopes', status: 'fail', detail: `${what}: ${describe(access.error)}`, fix: FIX.oauthScopes };
  }
  let granted: readonly string[];
  try {
    granted = (await client.grantedScopes({ signal })) ?? [];
  } catch (error) {
    return { id: 'scopes', status: 'fail', detail: `Could not read the granted scopes: ${describe(oktaErrorOrThrow(error))}`, fix: FIX.oauthScopes };
  }
  const missing = REQUIRED_SCOPES.filter((scope) => !grants(granted, scope));
  const list = granted.length > 0 ? granted.join(' ') : 'none';
  if (missing.length > 0) {
    return { id: 'scopes', status: 'fail', detail: `The access token lacks ${missing.join(' and ')} (granted: ${list})`, fix: FIX.oauthScopes };
  }
  return { id: 'scopes', status: 'pass', detail: `Granted ${list}` };
}

/** As in Okta, a `.manage` scope includes the matching `.read` one. */
function grants(granted: readonly string[], needed: string): boolean {
  return granted.includes(needed) || (needed.endsWith('.read') && granted.includes(needed.replace(/\.read$/, '.manage')));
}

async function lookUp(client: OktaClient, login: string, signal: AbortSignal | undefined): Promise<Lookup> {
  try {
    return { user: await client.getUser(login, { signal }) };
  } catch (error) {
    return { error: oktaErrorOrThrow(error) };
  }
}

/**
 * Lists the enrollments of an existing order's user (a 404 there can only mean the API is missing), or
 * of the probe id, where a 404 naming that user shows the API answered.
 */
async function preregistrationCheck(
  client: OktaClient,
  target: OktaUser | undefined,
  listings: Map<string, PreregistrationFactor[]>,
  signal: AbortSignal | undefined,
): Promise<PreflightCheck> {
  const userId = target?.id ?? PROBE_USER_ID;
  try {
    const factors = await client.listEnrollments(userId, { signal });
    listings.set(userId, factors);
    return { id: 'preregistration', status: 'pass', detail: 'The WebAuthn Preregistration API answered' };
  } catch (error) {
    const failure = oktaErrorOrThrow(error);
    if (failure.code === 'not-found' && target === undefined && failure.summary.includes(PROBE_USER_ID)) {
      return { id: 'preregistration', status: 'pass', detail: 'The WebAuthn Preregistration API answered (for a test user id)' };
    }
    if (failure.errorCode === 'E0000015' || failure.code === 'not-found') {
      return { id: 'preregistration', status: 'fail', detail: `WebAuthn Preregistration is not enabled on this org: ${describe(failure)}`, fix: FIX.preregistration };
    }
    if (failure.code === 'forbidden') {
      const fix = client.authKind === 'ssws' ? FIX.sswsRole : FIX.oauthScopes;
      return { id: 'preregistration', status: 'fail', detail: `Okta refused the preregistration API to this credential: ${describe(failure)}`, fix: `${fix} If the role is right, ${FIX.preregistration}` };
    }
    return { id: 'preregistration', status: 'fail', detail: `The preregistration API did not answer properly: ${describe(failure)}`, fix: failure.hint };
  }
}

async function userChecks(
  client: OktaClient,
  login: string,
  lookup: Lookup,
  preregistrationWorks: boolean,
  listings: Map<string, PreregistrationFactor[]>,
  signal: AbortSignal | undefined,
): Promise<PreflightCheck[]> {
  const people = `Admin Console → Directory → People → ${login}`;
  if ('error' in lookup) {
    const missing = lookup.error.code === 'not-found';
    const why = missing ? 'skipped: no such user' : 'skipped: the user could not be looked up';
    return [
      {
        id: 'user-exists',
        subject: login,
        status: 'fail',
        detail: missing ? `Okta has no user ${login}` : `Could not look up ${login}: ${describe(lookup.error)}`,
        fix: missing ? 'Admin Console → Directory → People: check the login in the order, or add the person (Activation: Activate later makes a STAGED user).' : lookup.error.hint,
      },
      ...USER_CHECKS.slice(1).map((id) => skipped(id, why, login)),
    ];
  }
  const { user } = lookup;
  const checks: PreflightCheck[] = [{ id: 'user-exists', subject: login, status: 'pass', detail: `${login} is Okta user ${user.id}` }];
  checks.push(statusCheck(login, user, people));
  checks.push(emailCheck(login, user, people));
  if (!preregistrationWorks) {
    checks.push(skipped('user-no-pending', 'skipped: the preregistration API is not available', login));
    return checks;
  }
  let factors = listings.get(user.id);
  if (factors === undefined) {
    try {
      factors = await client.listEnrollments(user.id, { signal });
    } catch (error) {
      const failure = oktaErrorOrThrow(error);
      checks.push({ id: 'user-no-pending', subject: login, status: 'fail', detail: `Could not list ${login}'s preregistration factors: ${describe(failure)}`, fix: failure.hint });
      return checks;
    }
  }
  const pending = factors.filter((factor) => PENDING_FACTOR_STATUSES.has(factor.status));
  if (pending.length === 0) {
    checks.push({ id: 'user-no-pending', subject: login, status: 'pass', detail: `${login} has no preregistration in fulfillment` });
    return checks;
  }
  const ids = pending.map((factor) => `${factor.id} (${factor.status})`).join(', ');
  checks.push({
    id: 'user-no-pending',
    subject: login,
    status: 'fail',
    detail: `${login} already has a preregistration in fulfillment: ${ids}`,
    fix: `${people} → Pre-enrolled authenticators: delete ${pending.map((factor) => factor.id).join(', ')}; or, if this station left it, \`keybench provision --user ${login}\` on the same journal finishes or cleans it up.`,
  });
  return checks;
}

function statusCheck(login: string, user: OktaUser, people: string): PreflightCheck {
  const status = user.status;
  if (status === undefined) {
    return { id: 'user-status', subject: login, status: 'warn', detail: `Okta did not say whether ${login} is ACTIVE or STAGED`, fix: `${people}: check the status shown under the name.` };
  }
  if (ELIGIBLE_STATUSES.has(status)) return { id: 'user-status', subject: login, status: 'pass', detail: `${login} is ${status}` };
  return { id: 'user-status', subject: login, status: 'fail', detail: `${login} is ${status}; only ACTIVE or STAGED users can be given a key`, fix: `${people}: ${STATUS_FIX[status] ?? 'bring the user back to ACTIVE.'}` };
}

const STATUS_FIX: Readonly<Record<string, string>> = {
  SUSPENDED: 'More Actions → Unsuspend.',
  DEPROVISIONED: 'Activate (a deactivated user cannot hold factors), or correct the order if the person has left.',
  LOCKED_OUT: 'Unlock.',
  PROVISIONED: 'the user has not finished activation: Resend activation email, or have them complete it.',
  RECOVERY: 'the user is mid password reset: have them finish it, or Reset password.',
  PASSWORD_EXPIRED: 'the password has expired: have the user sign in and change it, or Reset password.',
};

function emailCheck(login: string, user: OktaUser, people: string): PreflightCheck {
  const primary = user.profile.email ?? undefined;
  const secondary = user.profile.secondEmail ?? undefined;
  const editProfile = `${people} → Profile → Edit:`;
  if (primary === undefined && secondary === undefined) {
    return { id: 'user-email', subject: login, status: 'fail', detail: `${login} has no email address for the PIN mail`, fix: `${editProfile} set Primary email (or Secondary email for a STAGED user).` };
  }
  if (user.status === 'STAGED' && secondary === undefined) {
    return {
      id: 'user-email',
      subject: login,
      status: 'warn',
      detail: `${login} is STAGED with no secondary email: the PIN goes to ${primary}, which a new hire may not read yet`,
      fix: `${editProfile} set Secondary email to an address the user reads before their first day.`,
    };
  }
  const recipient = user.status === 'STAGED' ? secondary : primary ?? secondary;
  return { id: 'user-email', subject: login, status: 'pass', detail: `The PIN mail goes to ${recipient}` };
}
