// The audit log is copied, exported and handed to reviewers, so it must never hold a secret. Step data
// carries sealed payloads next to public facts; the mapping to audit summaries picks the facts, and this
// guard refuses the entry outright if a secret-shaped key or value slips through a programming error.

/** Member names that only ever hold secrets (compared case-insensitively). `d` is a private JWK's scalar. */
const SECRET_KEYS = new Set(
  ['pin', 'newPin', 'currentPin', 'pinResponseJwe', 'credResponseJwe', 'pinRequestJwe', 'credRequestJwe', 'token', 'apiToken', 'accessToken', 'pinUvAuthToken', 'privateKey', 'privateJwk', 'password', 'passphrase', 'd'].map((k) => k.toLowerCase()),
);

const COMPACT_JWE = /^([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export class AuditSecretError extends Error {
  override readonly name = 'AuditSecretError';
}

/** A compact JWE: five base64url parts whose first decodes to a JSON object (the protected header). */
export function looksLikeCompactJwe(value: string): boolean {
  const match = COMPACT_JWE.exec(value);
  if (!match) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header);
  } catch {
    return false;
  }
}

/**
 * Throws AuditSecretError when `value` (walked recursively) has a secret-named member or a JWE-shaped
 * string. The message names the path, never the value.
 */
export function assertNoSecrets(value: unknown, path = 'data'): void {
  if (typeof value === 'string') {
    if (looksLikeCompactJwe(value)) throw new AuditSecretError(`${path} holds an encrypted payload (a compact JWE); the audit log takes summaries only.`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertNoSecrets(item, `${path}[${index}]`));
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, member] of Object.entries(value)) {
      if (SECRET_KEYS.has(key.toLowerCase())) throw new AuditSecretError(`${path}.${key} is a secret's name; the audit log never records secrets.`);
      assertNoSecrets(member, `${path}.${key}`);
    }
  }
}
