// Everything the simulated org holds: users, preregistration factors (with Okta's private response keys
// and, once activated, the PIN — in memory only), the system log, the outbox and call counters. Tests
// read it through the inspection methods, which never expose keys or PINs.
import type { P384PrivateJwk } from '../wire/jwk.js';
import type { ExpectedEncryption } from '../wire/okta-side.js';
import type { PinPolicy } from '../wire/payloads.js';
import { ENDPOINTS } from './endpoints.js';
import type { Endpoint } from './endpoints.js';
import type { Outbox, OutboxMail } from './outbox.js';
import { randomId } from './random.js';
import type { RandomSource } from './random.js';
import type { LogEvent, SystemLog } from './syslog.js';
import { SeedUserSchema } from './users.js';
import type { SeedUser, SimUser } from './users.js';

/** Okta's factor statuses plus the preregistration-only FULFILLMENT_ERRORED; EXPIRED is derived from the clock. */
export type StoredFactorStatus = 'PENDING_ACTIVATION' | 'ACTIVE' | 'FULFILLMENT_ERRORED';
export type FactorStatus = StoredFactorStatus | 'EXPIRED';

export interface FactorProfile {
  readonly credentialId: string;
  readonly authenticatorName: string;
  readonly presetPinAvailable: boolean;
}

export interface Enrollment {
  readonly id: string;
  readonly userId: string;
  readonly rpId: string;
  readonly keyId: string;
  readonly responseKey: P384PrivateJwk;
  /** The enroll call this factor came from: its PIN request is shared by all of that call's factors. */
  readonly enrollCall: EnrollCall;
  readonly challenge: string;
  readonly userVerification: 'required' | 'preferred' | 'discouraged';
  readonly created: string;
  readonly expiresAt: number;
  status: StoredFactorStatus;
  lastUpdated: string;
  profile: FactorProfile | undefined;
  serial: string | undefined;
  version: string | undefined;
  pin: string | undefined;
}

export interface EnrollCall {
  readonly enrollmentIds: readonly string[];
  readonly pinResponseKey: P384PrivateJwk;
  readonly pinPolicy: PinPolicy;
  /** The alg/enc the requests were sealed with; the responses must use the same. */
  readonly encryption: ExpectedEncryption;
}

/** What tests may see of an enrollment: no keys, no PIN. */
export interface EnrollmentView {
  readonly id: string;
  readonly userId: string;
  readonly rpId: string;
  readonly keyId: string;
  readonly status: FactorStatus;
  readonly challenge: string;
  readonly expiresAt: string;
  readonly created: string;
  readonly lastUpdated: string;
  readonly profile: FactorProfile | undefined;
  readonly serial: string | undefined;
  readonly version: string | undefined;
}

export class SimState {
  private readonly usersById = new Map<string, SimUser>();
  private readonly userHandles = new Map<string, string>();
  private readonly factors = new Map<string, Enrollment>();
  private readonly callCounts = new Map<Endpoint, number>(ENDPOINTS.map((e) => [e, 0]));

  constructor(
    private readonly rng: RandomSource,
    private readonly now: () => number,
    private readonly log: SystemLog,
    private readonly mail: Outbox,
  ) {}

  addUser(seed: SeedUser): SimUser {
    const parsed = SeedUserSchema.parse(seed);
    const user: SimUser = {
      id: parsed.id ?? randomId(this.rng, '00u'),
      login: parsed.login,
      email: parsed.email === null ? undefined : parsed.email ?? parsed.login,
      secondEmail: parsed.secondEmail,
      firstName: parsed.firstName,
      lastName: parsed.lastName,
      status: parsed.status,
      created: new Date(this.now()).toISOString(),
    };
    if (this.usersById.has(user.id)) throw new Error(`Two simulator users share the id ${user.id}; ids must be unique.`);
    this.usersById.set(user.id, user);
    return user;
  }

  users(): readonly SimUser[] {
    return [...this.usersById.values()];
  }

  /** Okta resolves `/api/v1/users/{idOrLogin}` by id, then login; the simulator also accepts the email. */
  findUser(idOrLogin: string): SimUser | undefined {
    const byId = this.usersById.get(idOrLogin);
    if (byId !== undefined) return byId;
    const wanted = idOrLogin.toLowerCase();
    return this.users().find((u) => u.login.toLowerCase() === wanted) ?? this.users().find((u) => u.email?.toLowerCase() === wanted);
  }

  /** A stable random WebAuthn user handle (32 bytes, base64url) per user, made on first use. */
  userHandle(userId: string): string {
    let handle = this.userHandles.get(userId);
    if (handle === undefined) {
      handle = Buffer.from(this.rng.bytes(32)).toString('base64url');
      this.userHandles.set(userId, handle);
    }
    return handle;
  }

  newEnrollmentId(): string {
    let id: string;
    do id = randomId(this.rng, 'fwf');
    while (this.factors.has(id));
    return id;
  }

  addEnrollment(enrollment: Enrollment): void {
    this.factors.set(enrollment.id, enrollment);
  }

  /** The enrollment only if it belongs to `userId`: another user's factor is "not found", as in Okta. */
  enrollment(userId: string, id: string): Enrollment | undefined {
    const e = this.factors.get(id);
    return e?.userId === userId ? e : undefined;
  }

  enrollmentsOf(userId: string): readonly Enrollment[] {
    return [...this.factors.values()].filter((e) => e.userId === userId);
  }

  deleteEnrollment(id: string): void {
    this.factors.delete(id);
  }

  statusOf(e: Enrollment): FactorStatus {
    return e.status === 'PENDING_ACTIVATION' && this.now() >= e.expiresAt ? 'EXPIRED' : e.status;
  }

  touch(e: Enrollment): void {
    e.lastUpdated = new Date(this.now()).toISOString();
  }

  countCall(endpoint: Endpoint): void {
    this.callCounts.set(endpoint, (this.callCounts.get(endpoint) ?? 0) + 1);
  }

  /** Every PIN currently held, so the recorder can mask them wherever they appear. */
  pins(): Iterable<string> {
    return [...this.factors.values()].flatMap((e) => (e.pin === undefined ? [] : [e.pin]));
  }

  // Inspection for tests and the CLI.

  enrollments(userId: string): EnrollmentView[] {
    return this.enrollmentsOf(userId).map((e) => ({
      id: e.id,
      userId: e.userId,
      rpId: e.rpId,
      keyId: e.keyId,
      status: this.statusOf(e),
      challenge: e.challenge,
      expiresAt: new Date(e.expiresAt).toISOString(),
      created: e.created,
      lastUpdated: e.lastUpdated,
      profile: e.profile,
      serial: e.serial,
      version: e.version,
    }));
  }

  outbox(): readonly OutboxMail[] {
    return this.mail.list();
  }

  calls(): Readonly<Record<Endpoint, number>> {
    return Object.fromEntries(ENDPOINTS.map((e) => [e, this.callCounts.get(e) ?? 0])) as Record<Endpoint, number>;
  }

  systemLog(): readonly LogEvent[] {
    return this.log.all();
  }
}
