// The tenant preflight against the real embedded simulator, one simulator knob per failure: each
// misconfiguration must come out as the failed check (with a fix), and no credential may reach a detail.
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { OktaClient, type OktaCredentials } from '../../../electron/core/okta/client.js';
import { runPreflight, type PreflightCheck, type PreflightReport } from '../../../electron/core/okta/preflight.js';
import { RateLimiter } from '../../../electron/core/okta/rate-limiter.js';
import { startSimulator, type SeedUser, type SimulatorHandle, type SimulatorOptions } from '../../../electron/core/sim/index.js';

const SVC = '0oa1keybenchdoctor01';
const USERS: readonly SeedUser[] = [
  { id: '00u1alic0000000000a1', login: 'alice@example.com', firstName: 'Alice' },
  { id: '00u1grce0000000000g1', login: 'grace@example.com', status: 'STAGED', secondEmail: 'grace@home.example.net' },
  { id: '00u1mlry0000000000m1', login: 'mallory@example.com', status: 'SUSPENDED' },
  { id: '00u1dora0000000000d1', login: 'dora@example.com', status: 'DEPROVISIONED' },
  { id: '00u1nemo0000000000n1', login: 'nemo', email: null },
  { id: '00u1pete0000000000p1', login: 'pete@example.com', pendingEnrollment: true },
];

const sims: SimulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

async function sim(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const handle = await startSimulator({ users: USERS, ...options });
  sims.push(handle);
  return handle;
}

function client(url: string, credentials: OktaCredentials): OktaClient {
  return new OktaClient({ orgUrl: url, credentials, maxRetries: 0, timeoutMs: 5_000, limiter: new RateLimiter() });
}

function ssws(handle: SimulatorHandle): OktaClient {
  return client(handle.url, { kind: 'ssws', token: handle.apiToken });
}

interface ServiceApp {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

async function serviceApp(): Promise<ServiceApp> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateJwk: { ...(await exportJWK(privateKey)), kid: 'doctor-1' }, publicJwk: { ...(await exportJWK(publicKey)), kid: 'doctor-1' } };
}

async function oauthSim(appScopes: readonly string[], options: SimulatorOptions = {}): Promise<{ handle: SimulatorHandle; okta: OktaClient; app: ServiceApp }> {
  const app = await serviceApp();
  const handle = await sim({ ...options, oauthClients: [{ clientId: SVC, publicJwk: app.publicJwk, scopes: appScopes }] });
  return { handle, app, okta: client(handle.url, { kind: 'oauth', clientId: SVC, privateJwk: app.privateJwk }) };
}

function check(report: PreflightReport, id: PreflightCheck['id'], subject?: string): PreflightCheck {
  const found = report.checks.find((c) => c.id === id && c.subject === subject);
  if (found === undefined) throw new Error(`no ${id} check${subject ? ` for ${subject}` : ''}`);
  return found;
}

function expectNoSecret(report: PreflightReport, ...secrets: string[]): void {
  const text = JSON.stringify(report);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('runPreflight on a healthy org', () => {
  it('passes every check with an OAuth service app holding both scopes', async () => {
    const { okta, app } = await oauthSim(['okta.users.manage', 'okta.users.read']);
    const report = await runPreflight(okta, { users: ['alice@example.com', 'grace@example.com'] });
    expect(report.checks.map((c) => [c.id, c.subject, c.status])).toEqual([
      ['reachable', undefined, 'pass'],
      ['token', undefined, 'pass'],
      ['scopes', undefined, 'pass'],
      ['preregistration', undefined, 'pass'],
      ['clock', undefined, 'pass'],
      ['user-exists', 'alice@example.com', 'pass'],
      ['user-status', 'alice@example.com', 'pass'],
      ['user-email', 'alice@example.com', 'pass'],
      ['user-no-pending', 'alice@example.com', 'pass'],
      ['user-exists', 'grace@example.com', 'pass'],
      ['user-status', 'grace@example.com', 'pass'],
      ['user-email', 'grace@example.com', 'pass'],
      ['user-no-pending', 'grace@example.com', 'pass'],
    ]);
    expect(report.ok).toBe(true);
    expect(check(report, 'user-email', 'grace@example.com').detail).toContain('grace@home.example.net');
    expectNoSecret(report, app.privateJwk.d!);
  });

  it('with an SSWS token passes but warns that the manage permission rests on the admin role', async () => {
    const handle = await sim();
    const report = await runPreflight(ssws(handle), { users: ['alice@example.com'] });
    expect(report.ok).toBe(true);
    const scopes = check(report, 'scopes');
    expect(scopes.status).toBe('warn');
    expect(scopes.fix).toContain('Security → Administrators');
    expect(report.checks.filter((c) => c.status !== 'pass').map((c) => c.id)).toEqual(['scopes']);
    expectNoSecret(report, handle.apiToken);
  });

  it('checks the preregistration API without any order, through a test user id', async () => {
    const handle = await sim();
    const report = await runPreflight(ssws(handle));
    expect(check(report, 'preregistration').status).toBe('pass');
    expect(report.checks.some((c) => c.subject !== undefined)).toBe(false);
  });
});

describe('runPreflight finds each misconfiguration', () => {
  it('an org that does not answer fails reachable and skips everything else with the reason', async () => {
    const closed = await startSimulator({ users: USERS });
    const { url, apiToken } = closed;
    await closed.close();
    const report = await runPreflight(client(url, { kind: 'ssws', token: apiToken }), { users: ['alice@example.com'] });
    expect(report.ok).toBe(false);
    expect(check(report, 'reachable')).toMatchObject({ status: 'fail', fix: expect.stringContaining('org URL') });
    const rest = report.checks.filter((c) => c.id !== 'reachable');
    expect(rest).toHaveLength(8);
    for (const c of rest) expect(c).toMatchObject({ status: 'skipped', detail: expect.stringContaining('does not answer') });
    expectNoSecret(report, apiToken);
  });

  it('a wrong API token fails the token check (401) with the Admin Console path to a new one', async () => {
    const handle = await sim();
    const wrong = '00WrongTokenWrongTokenWrongTokenWrongToken';
    const report = await runPreflight(client(handle.url, { kind: 'ssws', token: wrong }), { users: ['alice@example.com'] });
    const token = check(report, 'token');
    expect(token.status).toBe('fail');
    expect(token.detail).toContain('E0000011');
    expect(token.fix).toContain('Security → API → Tokens');
    expect(check(report, 'scopes').status).toBe('skipped');
    expect(check(report, 'user-exists', 'alice@example.com').status).toBe('skipped');
    expect(check(report, 'clock').status).toBe('pass');
    expectNoSecret(report, wrong, handle.apiToken);
  });

  it('an OAuth token granted without okta.users.manage fails the scope check naming it', async () => {
    const { okta, app } = await oauthSim(['okta.users.manage', 'okta.users.read'], { preflightFaults: { grantedScopes: ['okta.users.read'] } });
    const report = await runPreflight(okta, { users: ['alice@example.com'] });
    const scopes = check(report, 'scopes');
    expect(scopes.status).toBe('fail');
    expect(scopes.detail).toMatch(/lacks okta\.users\.manage \(granted: okta\.users\.read\)/);
    expect(scopes.fix).toContain('Okta API Scopes');
    // Reading still works, so the rest is checked.
    expect(check(report, 'preregistration').status).toBe('pass');
    expect(check(report, 'user-status', 'alice@example.com').status).toBe('pass');
    expectNoSecret(report, app.privateJwk.d!);
  });

  it('an OAuth app whose scopes Okta refuses outright fails the scope check and skips the rest', async () => {
    const { okta } = await oauthSim(['okta.users.read']);
    const report = await runPreflight(okta, { users: ['alice@example.com'] });
    expect(check(report, 'token').status).toBe('pass');
    const scopes = check(report, 'scopes');
    expect(scopes.status).toBe('fail');
    expect(scopes.detail).toContain('okta.users.manage');
    expect(check(report, 'preregistration').status).toBe('skipped');
    expect(check(report, 'user-exists', 'alice@example.com').status).toBe('skipped');
  });

  it('an org without WebAuthn Preregistration fails that check and skips the pending-order check', async () => {
    const handle = await sim({ preflightFaults: { preregistrationDisabled: true } });
    const report = await runPreflight(ssws(handle), { users: ['alice@example.com'] });
    const prereg = check(report, 'preregistration');
    expect(prereg.status).toBe('fail');
    expect(prereg.detail).toContain('E0000015');
    expect(prereg.fix).toContain('Okta support');
    expect(check(report, 'user-no-pending', 'alice@example.com').status).toBe('skipped');
    expect(check(report, 'user-status', 'alice@example.com').status).toBe('pass');

    const bare = await runPreflight(ssws(handle));
    expect(check(bare, 'preregistration').status).toBe('fail');
  });

  it.each([
    [120_000, 'warn', true],
    [-120_000, 'warn', true],
    [600_000, 'fail', false],
  ] as const)('a clock %i ms off Okta\'s gives %s', async (skew, status, ok) => {
    const handle = await sim({ preflightFaults: { clockSkewMs: skew } });
    const report = await runPreflight(ssws(handle));
    const clock = check(report, 'clock');
    expect(clock.status).toBe(status);
    expect(clock.detail).toContain(skew > 0 ? 'behind' : 'ahead of');
    expect(clock.fix).toContain('NTP');
    expect(report.ok).toBe(ok);
  });

  it('honours maxSkewMs as the failing limit', async () => {
    const handle = await sim({ preflightFaults: { clockSkewMs: 45_000 } });
    const report = await runPreflight(ssws(handle), { maxSkewMs: 30_000 });
    expect(check(report, 'clock').status).toBe('fail');
  });

  it('a login Okta does not know fails user-exists and skips that user\'s other checks', async () => {
    const handle = await sim();
    const report = await runPreflight(ssws(handle), { users: ['nobody@example.com', 'alice@example.com'] });
    expect(check(report, 'user-exists', 'nobody@example.com')).toMatchObject({ status: 'fail', fix: expect.stringContaining('Directory → People') });
    for (const id of ['user-status', 'user-email', 'user-no-pending'] as const) {
      expect(check(report, id, 'nobody@example.com').status).toBe('skipped');
    }
    expect(check(report, 'user-no-pending', 'alice@example.com').status).toBe('pass');
    expect(report.ok).toBe(false);
  });

  it.each([
    ['mallory@example.com', 'SUSPENDED', 'Unsuspend'],
    ['dora@example.com', 'DEPROVISIONED', 'Activate'],
  ])('%s is %s: user-status fails naming the status and the fix', async (login, status, fix) => {
    const handle = await sim();
    const report = await runPreflight(ssws(handle), { users: [login] });
    const result = check(report, 'user-status', login);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain(status);
    expect(result.fix).toContain(fix);
  });

  it('a user without any email fails user-email (no address for the PIN)', async () => {
    const handle = await sim();
    const report = await runPreflight(ssws(handle), { users: ['nemo'] });
    expect(check(report, 'user-email', 'nemo')).toMatchObject({ status: 'fail', fix: expect.stringContaining('Primary email') });
    expect(check(report, 'user-status', 'nemo').status).toBe('pass');
  });

  it('a user with a preregistration still in fulfillment fails naming the enrollment id', async () => {
    const handle = await sim();
    const [pending] = handle.state.enrollments('00u1pete0000000000p1');
    expect(pending?.status).toBe('PENDING_ACTIVATION');
    const report = await runPreflight(ssws(handle), { users: ['pete@example.com'] });
    const result = check(report, 'user-no-pending', 'pete@example.com');
    expect(result.status).toBe('fail');
    expect(result.detail).toContain(pending!.id);
    expect(result.fix).toContain(`delete ${pending!.id}`);
    expect(result.fix).toContain('keybench provision');
  });

  it('a cancelled preflight rejects instead of reporting', async () => {
    const handle = await sim();
    const controller = new AbortController();
    controller.abort();
    await expect(runPreflight(ssws(handle), { signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });
});
