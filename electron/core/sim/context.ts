// What every route handler gets: the org's settings, its state and services, and the call's own facts.
import { z } from 'zod';
import type { Actor } from './auth.js';
import { assertKeyUse, parseP384PublicJwk, WireError } from '../wire/jwk.js';
import type { KeyUse, P384PublicJwk } from '../wire/jwk.js';
import type { PinPolicy } from '../wire/payloads.js';
import { notFound, preregValidation } from './errors.js';
import type { KeySource } from './keys.js';
import type { Outbox } from './outbox.js';
import type { RandomSource } from './random.js';
import type { SimState } from './state.js';
import type { SystemLog } from './syslog.js';
import type { SimUser } from './users.js';

export type Attestation = 'direct' | 'enterprise' | 'none';
export type UserVerification = 'required' | 'preferred' | 'discouraged';

export interface OrgSettings {
  readonly orgName: string;
  /** The org's hostname: default RP id, mail domain. */
  readonly orgDomain: string;
  readonly pinPolicy: PinPolicy;
  readonly attestation: Attestation;
  readonly userVerification: UserVerification;
  readonly enrollmentTtlMs: number;
}

export interface SimContext {
  readonly org: OrgSettings;
  readonly state: SimState;
  readonly log: SystemLog;
  readonly outbox: Outbox;
  readonly keys: KeySource;
  readonly rng: RandomSource;
  readonly now: () => number;
  /** `http://127.0.0.1:<port>`, for links in responses. */
  readonly baseUrl: string;
}

export interface CallInfo {
  readonly requestId: string;
  readonly userAgent: string;
  readonly remoteAddress: string;
  readonly actor: Actor;
  readonly query: URLSearchParams;
}

export const FULFILLMENT_PROVIDER = 'yubico';
export const FulfillmentProviderSchema = z.literal(FULFILLMENT_PROVIDER, {
  error: `fulfillmentProvider must be "${FULFILLMENT_PROVIDER}"`,
});

/** Parses a preregistration body; any defect is a 400 E0000001 whose one cause names the first bad field. */
export function parsePreregBody<T>(schema: z.ZodType<T>, body: unknown, summary: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
  throw preregValidation(summary, `${where}: ${issue?.message ?? 'invalid'}`);
}

export function requireUser(ctx: SimContext, userId: string): SimUser {
  const user = ctx.state.findUser(userId);
  // The preregistration API takes ids only; a login in userId is "not found" as in Okta.
  if (user === undefined || user.id !== userId) throw notFound(userId, 'User');
  return user;
}

/** Parses a provider key from a request body (transport or signing); a bad key is a 400 naming `where`. */
export function parseProviderKey(value: unknown, use: KeyUse, where: string, summary: string): P384PublicJwk {
  try {
    const key = parseP384PublicJwk(value, where);
    assertKeyUse(key, use, where);
    return key;
  } catch (error) {
    if (error instanceof WireError) throw preregValidation(summary, error.message);
    throw error;
  }
}
