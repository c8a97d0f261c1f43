// The station's non-secret settings, kept as JSON next to the journal. Credentials are not here: only
// which kind is configured; the token or private key itself lives in the secret store.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const StationSettingsSchema = z.object({
  /** Absent: the embedded Okta simulator. */
  orgUrl: z.string().optional(),
  credentialKind: z.enum(['none', 'ssws', 'oauth']).default('none'),
  oauthClientId: z.string().optional(),
  /** RP IDs registered on each key; empty = the org's host name. */
  rpIds: z.array(z.string()).default([]),
  pin: z.object({ minLength: z.number().int().min(4).max(63), forceChangePin: z.boolean() }).default({ minLength: 8, forceChangePin: true }),
  delivery: z.enum(['email', 'print', 'both', 'hold']).default('email'),
  sounds: z.boolean().default(true),
  printer: z.string().optional(),
  paper: z.enum(['a4', 'letter']).default('a4'),
  labelSize: z.enum(['62mm', '4x6in']).default('62mm'),
  /** `require`: a key whose attestation does not chain to a trusted root is never activated. */
  attestationPolicy: z.enum(['require', 'record-only']).default('require'),
  aaguidAllowList: z.array(z.string()).default([]),
  virtualKeys: z.number().int().min(0).max(16).default(2),
  operator: z.string().optional(),
});
export type StationSettings = z.infer<typeof StationSettingsSchema>;

export class SettingsFileError extends Error {
  override readonly name = 'SettingsFileError';
}

export function loadSettings(path: string): StationSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return StationSettingsSchema.parse({});
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SettingsFileError(`The settings file ${path} is not valid JSON. Fix it or delete it to start from the defaults.`);
  }
  const parsed = StationSettingsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SettingsFileError(`The settings file ${path} has a bad value at ${issue?.path.join('.') || 'the top'}: ${issue?.message}. Fix it or delete it.`);
  }
  return parsed.data;
}

/** Writes atomically (temp file, then rename) so a crash never leaves half a settings file. */
export function saveSettings(path: string, settings: StationSettings): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(StationSettingsSchema.parse(settings), null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, path);
}
