// The simulator's routes, named once: fault scripts, call counters and scope checks all key on these names.

/** The seven WebAuthn Preregistration operations: what an org without the feature refuses. */
const PREREGISTRATION = [
  'enroll',
  'activate',
  'send-pin',
  'initiate-fulfillment-request',
  'list-enrollments',
  'delete-enrollment',
  'mark-error',
] as const;

export const ENDPOINTS = [...PREREGISTRATION, 'get-user', 'logs', 'token'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const PREREGISTRATION_ENDPOINTS: ReadonlySet<Endpoint> = new Set<Endpoint>(PREREGISTRATION);

export const SCOPE_MANAGE_USERS = 'okta.users.manage';
export const SCOPE_READ_USERS = 'okta.users.read';
export const SCOPE_READ_LOGS = 'okta.logs.read';

/** The OAuth scope each endpoint demands (okta-prereg.md §2.2); the token endpoint demands none. */
export const REQUIRED_SCOPE: Readonly<Record<Exclude<Endpoint, 'token'>, string>> = {
  enroll: SCOPE_MANAGE_USERS,
  activate: SCOPE_MANAGE_USERS,
  'send-pin': SCOPE_MANAGE_USERS,
  'initiate-fulfillment-request': SCOPE_MANAGE_USERS,
  'delete-enrollment': SCOPE_MANAGE_USERS,
  'mark-error': SCOPE_MANAGE_USERS,
  'list-enrollments': SCOPE_READ_USERS,
  'get-user': SCOPE_READ_USERS,
  logs: SCOPE_READ_LOGS,
};
