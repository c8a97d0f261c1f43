// What `keybench provision`, `batch` and `report` share: the station options (org, credentials, keys,
// journal) and the station they build — journal, station keyring, Okta client, keys and engine. Tokens come
// from the environment or a file, never from argv, where shell history and `ps` would keep them.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { HidBackend } from '../core/hid/device.js';
import { loadNodeHidBackend } from '../core/hid/node-hid.js';
import { OktaClient, type OktaCredentials } from '../core/okta/client.js';
import { OktaError } from '../core/okta/errors.js';
import { parseOrgUrl } from '../core/okta/org.js';
import { PassphraseFileSecretStore } from '../core/secrets/passphrase-file.js';
import { MemorySecretStore, type SecretStore } from '../core/secrets/secret-store.js';
import { DEFAULT_ORG_DOMAIN, startSimulator, type SimulatorHandle } from '../core/sim/index.js';
import { ProvisioningEngine } from '../core/station/engine.js';
import { StationTrustGate } from '../core/station/trust-gate.js';
import { Journal } from '../core/station/journal.js';
import { parseVirtualKeyFlags, type VirtualKeyOverrides } from '../core/virtual-key/options.js';
import { VirtualKeyBackend } from '../core/virtual-key/virtual-key.js';
import { StationKeyring } from '../core/wire/station-keys.js';
import { defaultDataDir } from './data-dir.js';
import { parseCount } from './key-sources.js';
import { UsageError } from './usage.js';

export const STATION_OPTION_SPEC = {
  org: { type: 'string' },
  'token-env': { type: 'string' },
  'oauth-client-id': { type: 'string' },
  'oauth-key': { type: 'string' },
  sim: { type: 'boolean' },
  virtual: { type: 'string' },
  'virtual-knobs': { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean' },
  'no-usb': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const PrivateJwkSchema = z.looseObject({ kty: z.string(), d: z.string() });

export const DEFAULT_TOKEN_ENV = 'KEYBENCH_OKTA_TOKEN';

export const STATION_OPTIONS_USAGE = `Station options:
  --org URL                  the Okta org (https://…; http://127.0.0.1:PORT for a running \`keybench sim\`)
  --token-env NAME           environment variable holding the SSWS API token (default ${DEFAULT_TOKEN_ENV})
  --oauth-client-id ID --oauth-key FILE
                             an OAuth API service app instead of a token; FILE holds its private JWK
  --sim                      run the embedded simulator inside this command (it lives only as long as the
                             command: for \`batch enroll\` now and \`batch sync\` later, run \`keybench sim\`
                             and pass --org http://127.0.0.1:PORT with its token in ${DEFAULT_TOKEN_ENV})
  --virtual N                plug in N virtual keys (simulator or loopback org only)
  --virtual-knobs="FLAGS"   knobs for those keys, as \`keybench virtual-key --help\` lists them
  --db FILE                  the journal (default $KEYBENCH_DATA/journal.db; with --sim journal-sim.db)
  --json                     progress as JSON lines instead of text
  --no-usb                   do not look for USB keys
Tokens are read from the environment or a file, never from the command line (shell history, ps).
Station keys live in secrets.json beside the journal, encrypted with $KEYBENCH_PASSPHRASE (required unless
--sim), so a later run can finish what an earlier one enrolled.`;

type StationValues = {
  org?: string;
  'token-env'?: string;
  'oauth-client-id'?: string;
  'oauth-key'?: string;
  sim?: boolean;
  virtual?: string;
  'virtual-knobs'?: string;
  db?: string;
  json?: boolean;
  'no-usb'?: boolean;
};

export interface StationArgs {
  readonly org?: string;
  readonly tokenEnv: string;
  readonly oauthClientId?: string;
  readonly oauthKeyFile?: string;
  readonly sim: boolean;
  readonly virtual: number;
  readonly virtualKnobs: VirtualKeyOverrides;
  readonly db: string;
  readonly json: boolean;
  readonly usb: boolean;
}

/** Refuses a token on the command line before anything else reads argv. */
export function refuseArgvSecrets(argv: readonly string[], usage: string): void {
  if (argv.some((a) => /^--(token|api-token|ssws)(=|$)/.test(a))) {
    throw new UsageError(
      `API tokens are never taken from the command line (shell history and \`ps\` would keep them). Put it in $${DEFAULT_TOKEN_ENV}, or name another variable with --token-env NAME`,
      usage,
    );
  }
}

export function stationArgs(values: StationValues, usage: string, env: NodeJS.ProcessEnv = process.env): StationArgs {
  if (values.sim && values.org !== undefined) throw new UsageError('--sim and --org exclude each other', usage);
  if ((values['oauth-client-id'] === undefined) !== (values['oauth-key'] === undefined)) {
    throw new UsageError('--oauth-client-id and --oauth-key go together', usage);
  }
  let virtualKnobs: VirtualKeyOverrides = {};
  if (values['virtual-knobs'] !== undefined) {
    const parsed = parseVirtualKeyFlags(values['virtual-knobs'].split(/\s+/).filter(Boolean));
    if (!parsed.ok) throw new UsageError(`--virtual-knobs: ${parsed.error.message}`, usage);
    if (parsed.rest.length > 0) throw new UsageError(`--virtual-knobs: unknown knob "${parsed.rest[0]}"`, usage);
    virtualKnobs = parsed.overrides;
  }
  const tokenEnv = values['token-env'] ?? DEFAULT_TOKEN_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) throw new UsageError(`--token-env takes an environment variable name, got "${tokenEnv}"`, usage);
  return {
    ...(values.org === undefined ? {} : { org: values.org }),
    tokenEnv,
    ...(values['oauth-client-id'] === undefined ? {} : { oauthClientId: values['oauth-client-id'], oauthKeyFile: values['oauth-key'] }),
    sim: values.sim ?? false,
    virtual: parseCount(values.virtual, '--virtual', usage),
    virtualKnobs,
    db: values.db ?? join(defaultDataDir(env), values.sim ? 'journal-sim.db' : 'journal.db'),
    json: values.json ?? false,
    usb: !(values['no-usb'] ?? false),
  };
}

/** The journal alone (import, status, report need neither Okta nor keys). */
export function openJournal(args: StationArgs): Journal {
  mkdirSync(dirname(args.db), { recursive: true });
  return Journal.open(args.db);
}

export interface CliStation {
  readonly journal: Journal;
  readonly okta: OktaClient;
  readonly engine: ProvisioningEngine;
  readonly orgUrl: string;
  readonly sim?: SimulatorHandle;
  /** Why USB keys cannot be reached, when node-hid did not load. */
  readonly usbUnavailable?: string;
  /** Whether USB keys are looked for (a technician may still plug one in). */
  readonly usb: boolean;
  close(): Promise<void>;
}

export interface EngineChoices {
  readonly autoAssign: boolean;
  readonly offline?: boolean;
  /** Plug in the keys (the virtual ones, and USB unless --no-usb). */
  readonly keys: boolean;
}

export async function credentialsFor(args: StationArgs, env: NodeJS.ProcessEnv, usage: string): Promise<OktaCredentials> {
  if (args.oauthClientId !== undefined) {
    let text: string;
    try {
      text = readFileSync(args.oauthKeyFile!, 'utf8');
    } catch (e) {
      throw new UsageError(`--oauth-key: cannot read ${args.oauthKeyFile} (${e instanceof Error ? e.message : String(e)})`, usage);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    // Only the shape is named here: the key's content never reaches a message.
    const jwk = PrivateJwkSchema.safeParse(json);
    if (!jwk.success) throw new UsageError(`--oauth-key: ${args.oauthKeyFile} is not a private JWK (JSON with "kty" and "d"); export the service app's private key as JWK`, usage);
    return { kind: 'oauth', clientId: args.oauthClientId, privateJwk: jwk.data };
  }
  const token = env[args.tokenEnv];
  if (!token) throw new UsageError(`No API token: set $${args.tokenEnv} to the Okta SSWS token (or use --oauth-client-id with --oauth-key)`, usage);
  return { kind: 'ssws', token };
}

/** Builds the station for a command that talks to Okta. */
export async function openStation(args: StationArgs, choices: EngineChoices, usage: string, env: NodeJS.ProcessEnv = process.env): Promise<CliStation> {
  if (!args.sim && args.org === undefined) throw new UsageError('say which Okta org: --org URL, or --sim for the embedded simulator', usage);
  let sim: SimulatorHandle | undefined;
  let orgUrl: string;
  let credentials: OktaCredentials;
  let secrets: SecretStore;
  if (args.sim) {
    sim = await startSimulator({});
    orgUrl = sim.url;
    credentials = { kind: 'ssws', token: sim.apiToken };
    secrets = new MemorySecretStore();
  } else {
    try {
      orgUrl = parseOrgUrl(args.org!).origin;
    } catch (e) {
      throw new UsageError(`--org: ${e instanceof OktaError ? e.message : String(e)}`, usage);
    }
    credentials = await credentialsFor(args, env, usage);
    const passphrase = env.KEYBENCH_PASSPHRASE;
    if (!passphrase) throw new UsageError('Set $KEYBENCH_PASSPHRASE: it unlocks the station keys in secrets.json beside the journal', usage);
    mkdirSync(dirname(args.db), { recursive: true });
    secrets = new PassphraseFileSecretStore(join(dirname(args.db), 'secrets.json'), passphrase);
  }
  try {
    const keyring = await StationKeyring.loadOrCreate(secrets);
    const okta = new OktaClient({ orgUrl, credentials, ...(sim ? { enrollmentRpIds: [DEFAULT_ORG_DOMAIN] } : {}) });
    const backends: HidBackend[] = [];
    let usbUnavailable: string | undefined;
    if (choices.keys && args.usb) {
      const real = await loadNodeHidBackend();
      if ('unavailable' in real) usbUnavailable = real.unavailable;
      else backends.push(real);
    }
    if (choices.keys && args.virtual > 0) backends.push(new VirtualKeyBackend(Array.from({ length: args.virtual }, () => args.virtualKnobs)));
    const journal = openJournal(args);
    // The CLI has no settings file of its own: the gate requires a trusted attestation, with the MDS blob imported beside the journal.
    const attestation = new StationTrustGate(dirname(args.db), new URL(orgUrl).hostname, () => ({ policy: 'require', aaguidAllowList: [] }), (line) => process.stderr.write(`${line}\n`));
    const engine = new ProvisioningEngine({ journal, okta, keyring, backends, autoAssign: choices.autoAssign, offline: choices.offline ?? false, attestation });
    return {
      journal,
      okta,
      engine,
      orgUrl,
      ...(sim ? { sim } : {}),
      ...(usbUnavailable ? { usbUnavailable } : {}),
      usb: backends.some((b) => b.kind === 'usb'),
      close: async () => {
        await engine.close();
        // What this command did closes as one sealed batch of the audit trail.
        await journal.audit.sealIfOpen(`cli-${new Date().toISOString()}`, { privateJwk: keyring.signingKey, kid: keyring.signingKey.kid });
        journal.close();
        await sim?.close();
      },
    };
  } catch (error) {
    await sim?.close();
    throw error;
  }
}

/** Whether the org answers at all (any HTTP answer counts); exit code 4 when it does not. */
export async function orgReachable(orgUrl: string, timeoutMs = 5_000): Promise<boolean> {
  try {
    await fetch(orgUrl, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}
