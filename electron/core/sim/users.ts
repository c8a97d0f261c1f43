// The simulated org's users: a default demo seed, or a JSON file / option given at start.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** Okta's user statuses; only ACTIVE and STAGED users can be given a preregistered key. */
export const UserStatusSchema = z.enum(['ACTIVE', 'STAGED', 'PROVISIONED', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED', 'DEPROVISIONED']);
export type UserStatus = z.infer<typeof UserStatusSchema>;

export const OKTA_USER_ID = /^00u[0-9A-Za-z]{17}$/;

export const SeedUserSchema = z.object({
  id: z.string().regex(OKTA_USER_ID, 'an Okta user id is "00u" followed by 17 letters or digits').optional(),
  login: z.string().min(1),
  /** Defaults to the login; null leaves the user without a primary email. */
  email: z.email().nullable().optional(),
  secondEmail: z.email().optional(),
  firstName: z.string().default(''),
  lastName: z.string().default(''),
  status: UserStatusSchema.default('ACTIVE'),
  /** Start with one PENDING_ACTIVATION factor, as an enroll whose station never came back leaves behind. */
  pendingEnrollment: z.boolean().default(false),
});
export type SeedUser = z.input<typeof SeedUserSchema>;

export interface SimUser {
  readonly id: string;
  readonly login: string;
  readonly email: string | undefined;
  readonly secondEmail: string | undefined;
  readonly firstName: string;
  readonly lastName: string;
  readonly status: UserStatus;
  readonly created: string;
}

const SeedListSchema = z.array(SeedUserSchema);

/** Reads a seed file: either an array of users or `{ "users": [...] }`. */
export async function loadUsersFile(path: string): Promise<SeedUser[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new Error(`Cannot read the simulator user file ${path}: ${(cause as Error).message}. Give a JSON array of users.`);
  }
  const list: unknown = typeof json === 'object' && json !== null && !Array.isArray(json) ? Reflect.get(json, 'users') : json;
  const parsed = SeedListSchema.safeParse(list);
  if (!parsed.success) {
    throw new Error(`The simulator user file ${path} is not valid: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Twelve demo users so `keybench sim` is useful at once; two are STAGED (PIN mail to secondEmail), one SUSPENDED. */
export const DEMO_USERS: readonly SeedUser[] = [
  { id: '00us2hPODQncCkxef0g3', login: 'alice@example.com', firstName: 'Alice', lastName: 'Doe' },
  { id: '00ub0oNGTSWTBKOLGLNR', login: 'bob@example.com', firstName: 'Bob', lastName: 'Martin' },
  { id: '00u15s1KDETTQMQYABRL', login: 'carol@example.com', firstName: 'Carol', lastName: 'Nguyen' },
  { id: '00u1dave7Xq2Lm9Pz4k8', login: 'dave@example.com', firstName: 'Dave', lastName: 'Okafor' },
  { id: '00u1erin3Wc8Hn5Tb2j6', login: 'erin@example.com', firstName: 'Erin', lastName: 'Svensson' },
  { id: '00u1frnk6Ry1Gd4Vs7m2', login: 'frank@example.com', firstName: 'Frank', lastName: 'Rossi' },
  { id: '00u1grce9Ku5Fp8Na3h1', login: 'grace@example.com', firstName: 'Grace', lastName: 'Kim', status: 'STAGED', secondEmail: 'grace.kim@home.example.net' },
  { id: '00u1hedi2Zy7Jc3Qw6e9', login: 'heidi@example.com', firstName: 'Heidi', lastName: 'Schulz' },
  { id: '00u1ivan4Mb9Xs2Lt8r5', login: 'ivan@example.com', firstName: 'Ivan', lastName: 'Petrov', status: 'STAGED', secondEmail: 'ivan.petrov@home.example.net' },
  { id: '00u1judy8Pe3Vk6Hd1w4', login: 'judy@example.com', firstName: 'Judy', lastName: 'Alvarez' },
  { id: '00u1mlry5Tg2Bn7Cx9a3', login: 'mallory@example.com', firstName: 'Mallory', lastName: 'Quinn', status: 'SUSPENDED' },
  { id: '00u1olvr1Hs6Dw4Ej8f7', login: 'oliver@example.com', firstName: 'Oliver', lastName: 'Brown' },
];

export function displayName(user: SimUser): string {
  return `${user.firstName} ${user.lastName}`.trim() || user.login;
}

/** Where Okta mails the PIN: staged users have not activated their primary email yet. */
export function pinRecipient(user: SimUser): string | undefined {
  return user.status === 'STAGED' && user.secondEmail !== undefined ? user.secondEmail : user.email ?? user.secondEmail;
}

/** The Okta User model (GET /api/v1/users/{id}), limited to what a provisioning client reads. */
export function toOktaUser(user: SimUser, baseUrl: string): Record<string, unknown> {
  return {
    id: user.id,
    status: user.status,
    created: user.created,
    activated: user.status === 'STAGED' ? null : user.created,
    statusChanged: user.created,
    lastLogin: null,
    lastUpdated: user.created,
    passwordChanged: null,
    type: { id: 'oty1keybenchdemo0g4' },
    profile: {
      firstName: user.firstName,
      lastName: user.lastName,
      mobilePhone: null,
      secondEmail: user.secondEmail ?? null,
      login: user.login,
      email: user.email ?? null,
    },
    credentials: { provider: { type: 'OKTA', name: 'OKTA' } },
    _links: { self: { href: `${baseUrl}/api/v1/users/${user.id}` } },
  };
}
