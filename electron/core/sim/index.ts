// The embedded Okta preregistration simulator: `startSimulator(options)` serves Okta's WebAuthn
// Preregistration API (plus users, system log and OAuth token endpoints) on 127.0.0.1, backed by
// in-memory state. Every knob a benchmark or a test needs — latency, rate limits, concurrency, faults,
// deterministic keys and ids, recording — is an option here (and a CLI flag in `keybench sim`).
//
// Choices where Okta publishes nothing:
// - send-pin without a stored PIN (factor not ACTIVE) → 400 E0000001 "Api validation failed: pinRequest",
//   one cause object saying to activate first.
// - A factor still PENDING_ACTIVATION after its expiry is listed as EXPIRED and cannot be activated.
// - The system log event carries `debugContext.debugData.fulfillmentData` as the JSON array that was posted.
// - With `preflightFaults.preregistrationDisabled`, preregistration calls answer 401 E0000015 ("You do not
//   have permission to access the feature you are requesting"), Okta's answer for a feature not enabled.
// - send-pin for a user with neither email nor secondEmail → 400 E0000001 with a cause naming the user.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentEnc, KeyAlg } from '../wire/envelope.js';
import { DEFAULT_REQUEST_ENCRYPTION } from '../wire/okta-side.js';
import { PinPolicySchema } from '../wire/payloads.js';
import type { PinPolicy } from '../wire/payloads.js';
import { Authorizer } from './auth.js';
import type { Attestation, OrgSettings, SimContext, UserVerification } from './context.js';
import { seedPendingEnrollment } from './enroll.js';
import { FaultInjector } from './faults.js';
import type { FaultOptions, PreflightFaults } from './faults.js';
import { freshKeys, loadKeyFile } from './keys.js';
import { ConcurrencyGate, RequestBudget } from './limits.js';
import { OAuthServer, TOKEN_PATH } from './oauth.js';
import type { OAuthClientOptions } from './oauth.js';
import { Outbox } from './outbox.js';
import { cryptoRandom, randomId, seededRandom } from './random.js';
import { Recorder } from './record.js';
import { createSimServer } from './server.js';
import { SimState } from './state.js';
import { SystemLog } from './syslog.js';
import { DEMO_USERS, loadUsersFile } from './users.js';
import type { SeedUser } from './users.js';

export type { Endpoint } from './endpoints.js';
export { ENDPOINTS } from './endpoints.js';
export type { FaultOptions, DropPhase, PreflightFaults } from './faults.js';
export type { OAuthClientOptions } from './oauth.js';
export type { SimState, EnrollmentView, FactorStatus } from './state.js';
export type { OutboxMail } from './outbox.js';
export type { SeedUser } from './users.js';
export { DEMO_USERS } from './users.js';

export interface SimulatorOptions {
  /** Port on `host`; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on; 127.0.0.1 unless told otherwise. */
  readonly host?: string;
  /** The SSWS API token; a fresh one is generated (and returned) when absent. */
  readonly apiToken?: string;
  /** Seed users; `usersFile` is read when given; otherwise the twelve demo users. */
  readonly users?: readonly SeedUser[];
  readonly usersFile?: string;
  readonly orgName?: string;
  /** The org hostname: default RP id and mail domain. */
  readonly orgDomain?: string;
  readonly pinPolicy?: Partial<PinPolicy>;
  readonly attestation?: Attestation;
  readonly userVerification?: UserVerification;
  /** How long an enrollment may wait for activate (default 30 days). */
  readonly enrollmentTtlMs?: number;
  /** JWE alg/enc for the requests enroll returns (default ECDH-ES+A256KW / A256GCM). */
  readonly requestEncryption?: { alg: KeyAlg; enc: ContentEnc };
  /** PEM roots the attestation chain must lead to; absent = attestation chains are not checked. */
  readonly trustedAttestationRoots?: string[];
  /** JWK file of P-384 `enc` private keys used in turn as response keys, for deterministic runs. */
  readonly keys?: string;
  /** JSON-lines file that every exchange is appended to (credentials and PINs masked). */
  readonly record?: string;
  /** Folder for send-pin mails; a fresh temp folder when absent. */
  readonly outboxDir?: string;
  /** Added to every API call (default 0). */
  readonly latencyMs?: number;
  /** Request budget per minute; beyond it 429 E0000047 (default 600). */
  readonly requestsPerMinute?: number;
  /** Concurrent API calls allowed; beyond it 429 with Limit and Remaining 0 (default 75). */
  readonly maxConcurrent?: number;
  readonly faults?: FaultOptions;
  /** Tenant misconfigurations for `keybench doctor` to find: preregistration disabled, scopes withheld, clock skew. */
  readonly preflightFaults?: PreflightFaults;
  /** Makes ids, challenges, tokens and fault draws repeat run after run. */
  readonly seed?: string;
  readonly oauthClients?: readonly OAuthClientOptions[];
  /** Clock in epoch ms (tests); defaults to Date.now. */
  readonly now?: () => number;
  /** Called with unexpected handler errors (default: a line on stderr). */
  readonly onError?: (error: unknown) => void;
}

export interface SimulatorHandle {
  /** `http://127.0.0.1:<port>` — the Okta org URL to configure. */
  readonly url: string;
  readonly tokenUrl: string;
  readonly apiToken: string;
  readonly outboxDir: string;
  readonly state: SimState;
  /** Scripts faults while running: `faults.failNext('enroll', 2)`, `faults.dropNext('activate', 1, 'after')`. */
  readonly faults: FaultInjector;
  registerOAuthClient(client: OAuthClientOptions): void;
  /** Stops listening, ends keep-alive sockets and flushes the recording. */
  close(): Promise<void>;
}

export const DEFAULT_ORG_NAME = 'Keybench Demo';
export const DEFAULT_ORG_DOMAIN = 'keybench-demo.okta.com';
export const DEFAULT_PIN_POLICY: PinPolicy = { charset: 'numeric', length: 8, forceChangePin: true };
const THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000;

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const now = options.now ?? Date.now;
  const random = (label: string) => (options.seed === undefined ? cryptoRandom() : seededRandom(options.seed, label));
  const rng = random('state');
  const org: OrgSettings = {
    orgName: options.orgName ?? DEFAULT_ORG_NAME,
    orgDomain: options.orgDomain ?? DEFAULT_ORG_DOMAIN,
    pinPolicy: PinPolicySchema.parse({ ...DEFAULT_PIN_POLICY, ...options.pinPolicy }),
    attestation: options.attestation ?? 'direct',
    userVerification: options.userVerification ?? 'required',
    enrollmentTtlMs: options.enrollmentTtlMs ?? THIRTY_DAYS_MS,
  };
  const outbox = new Outbox(options.outboxDir ?? (await mkdtemp(join(tmpdir(), 'keybench-sim-outbox-'))));
  await outbox.init();
  const log = new SystemLog();
  const state = new SimState(rng, now, log, outbox);
  const seeds = options.users ?? (options.usersFile !== undefined ? await loadUsersFile(options.usersFile) : DEMO_USERS);
  const pendingUserIds = seeds.flatMap((seed) => {
    const user = state.addUser(seed);
    return seed.pendingEnrollment === true ? [user.id] : [];
  });
  const requestEncryption = options.requestEncryption ?? DEFAULT_REQUEST_ENCRYPTION;
  const preflight = options.preflightFaults ?? {};

  const apiToken = options.apiToken ?? randomId(random('api-token'), '00', 42);
  const oauth = new OAuthServer(options.oauthClients ?? [], random('oauth'), now, preflight.grantedScopes);
  const recorder = options.record === undefined
    ? undefined
    : new Recorder(options.record, () => [apiToken, ...oauth.tokenValues(), ...state.pins()]);
  const ctx: Omit<SimContext, 'baseUrl'> & { baseUrl: string } = {
    org,
    state,
    log,
    outbox,
    keys: options.keys === undefined ? freshKeys() : await loadKeyFile(options.keys),
    rng,
    now,
    baseUrl: '',
  };
  for (const userId of pendingUserIds) await seedPendingEnrollment(ctx, userId, requestEncryption);
  const faults = new FaultInjector(options.faults ?? {}, random('faults'));
  const server = createSimServer({
    ctx,
    settings: {
      requestEncryption,
      trustedRoots: options.trustedAttestationRoots,
    },
    authorizer: new Authorizer(apiToken, oauth),
    oauth,
    budget: new RequestBudget(options.requestsPerMinute ?? 600, now),
    gate: new ConcurrencyGate(options.maxConcurrent ?? 75),
    faults,
    preflight,
    latencyMs: options.latencyMs ?? 0,
    recorder,
    onError: options.onError ?? ((error) => process.stderr.write(`keybench simulator: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`)),
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The simulator is not listening on a TCP port.');
  const { port } = address;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  ctx.baseUrl = url;

  return {
    url,
    tokenUrl: `${url}${TOKEN_PATH}`,
    apiToken,
    outboxDir: outbox.dir,
    state,
    faults,
    registerOAuthClient: (client) => oauth.register(client),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await recorder?.flush();
    },
  };
}
