// A whole bench in one process for station tests: the embedded Okta simulator, virtual keys with quick
// automatic touches, a station keyring in memory, a journal (in memory or on a file) and the engine.
import { readFile } from 'node:fs/promises';
import { CtapHidConnection } from '../../../electron/core/ctap/ctaphid.js';
import { ClientPin } from '../../../electron/core/ctap/client-pin.js';
import { Ctap2 } from '../../../electron/core/ctap/ctap2.js';
import { CtapError } from '../../../electron/core/ctap/errors.js';
import { pinProtocol } from '../../../electron/core/ctap/pin-protocol.js';
import { OktaClient } from '../../../electron/core/okta/client.js';
import type { WaitInfo } from '../../../electron/core/okta/http.js';
import { RateLimiter } from '../../../electron/core/okta/rate-limiter.js';
import { MemorySecretStore } from '../../../electron/core/secrets/secret-store.js';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../../electron/core/sim/index.js';
import { ProvisioningEngine, type EngineOptions, type StationEvent } from '../../../electron/core/station/engine.js';
import { Journal } from '../../../electron/core/station/journal.js';
import type { VirtualKey } from '../../../electron/core/virtual-key/virtual-key.js';
import { VirtualKeyBackend } from '../../../electron/core/virtual-key/virtual-key.js';
import type { VirtualKeyOverrides } from '../../../electron/core/virtual-key/options.js';
import { StationKeyring } from '../../../electron/core/wire/station-keys.js';

export const USERS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com', 'frank@example.com', 'heidi@example.com', 'judy@example.com'];
export const ALICE_ID = '00us2hPODQncCkxef0g3';

/** Quick virtual keys: a touch arrives 15 ms after the key asks, commands take a few ms. */
export const FAST_KEY: VirtualKeyOverrides = { userPresence: { mode: 'auto', delayMs: 15 }, latencyMs: { makeCredential: 5, clientPIN: 2 } };

export interface BenchOptions {
  readonly keys?: readonly VirtualKeyOverrides[];
  readonly backend?: VirtualKeyBackend;
  readonly sim?: SimulatorHandle;
  readonly simOptions?: SimulatorOptions;
  readonly journalPath?: string;
  readonly keyring?: StationKeyring;
  /** Point the Okta client elsewhere (the virtual-key refusal test). */
  readonly orgUrl?: string;
  readonly onOktaWait?: (info: WaitInfo) => void;
  readonly enrollmentRpIds?: readonly string[];
  readonly engine?: Partial<EngineOptions>;
}

export interface Bench {
  readonly sim: SimulatorHandle;
  readonly backend: VirtualKeyBackend;
  readonly keyring: StationKeyring;
  readonly journal: Journal;
  readonly okta: OktaClient;
  readonly engine: ProvisioningEngine;
  readonly events: StationEvent[];
  /** Closes the engine and journal (and the simulator when the bench started it). */
  close(): Promise<void>;
}

export async function openBench(options: BenchOptions = {}): Promise<Bench> {
  const ownSim = options.sim === undefined;
  const sim = options.sim ?? (await startSimulator({ latencyMs: 1, ...options.simOptions }));
  const backend = options.backend ?? new VirtualKeyBackend((options.keys ?? [{}]).map((k) => ({ ...FAST_KEY, ...k })));
  const keyring = options.keyring ?? (await StationKeyring.create(new MemorySecretStore()));
  const journal = Journal.open(options.journalPath ?? ':memory:');
  const okta = new OktaClient({
    orgUrl: options.orgUrl ?? sim.url,
    credentials: { kind: 'ssws', token: sim.apiToken },
    limiter: new RateLimiter({ jitterMs: 0, maxHoldMs: 50 }),
    retryBaseMs: 5,
    onWait: options.onOktaWait,
    enrollmentRpIds: options.enrollmentRpIds,
  });
  const engine = new ProvisioningEngine({
    journal,
    okta,
    keyring,
    backends: [backend],
    pollIntervalMs: 40,
    timeouts: { keyMs: 5_000, touchMs: 10_000, oktaMs: 20_000 },
    ...options.engine,
  });
  const events: StationEvent[] = [];
  engine.on((event) => events.push(event));
  let closed = false;
  return {
    sim,
    backend,
    keyring,
    journal,
    okta,
    engine,
    events,
    close: async () => {
      if (closed) return;
      closed = true;
      await engine.close();
      journal.close();
      if (ownSim) await sim.close();
    },
  };
}

/** The PIN in the simulator's mail to `userId` (the test reads it as the user would). */
export async function mailedPin(sim: SimulatorHandle, userId: string): Promise<string> {
  const mails = sim.state.outbox().filter((m) => m.userId === userId);
  if (mails.length !== 1) throw new Error(`expected one PIN mail to ${userId}, found ${mails.length}`);
  const text = await readFile(mails[0]!.path, 'utf8');
  const match = /Your security key PIN: (\S+)/.exec(text);
  if (!match) throw new Error('the PIN mail has no PIN line');
  return match[1]!;
}

/** Proves `pin` is the key's PIN: changing the PIN from it succeeds only with the right current PIN. */
export async function pinOpensKey(key: VirtualKey, pin: string): Promise<boolean> {
  const connection = await CtapHidConnection.open(key.open());
  try {
    const ctap = new Ctap2(connection);
    await ctap.getInfo();
    await new ClientPin(ctap, pinProtocol(2)).changePin(pin, `${pin}9`);
    return true;
  } catch (error) {
    if (error instanceof CtapError && error.status === PIN_INVALID) return false;
    throw error;
  } finally {
    await connection.close();
  }
}

const PIN_INVALID = 0x31;

/** Sets a PIN on a virtual key, as if someone had used it before (a key that is not factory-fresh). */
export async function usePin(key: VirtualKey, pin: string): Promise<void> {
  const connection = await CtapHidConnection.open(key.open());
  try {
    const ctap = new Ctap2(connection);
    await ctap.getInfo();
    await new ClientPin(ctap, pinProtocol(2)).setPin(pin);
  } finally {
    await connection.close();
  }
}

/** Waits until `predicate` holds for the events so far (polling; the engine runs on real timers). */
export async function until(events: readonly StationEvent[], predicate: (events: readonly StationEvent[]) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(events)) {
    if (Date.now() > deadline) throw new Error(`timed out; events: ${events.map((e) => e.type).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts the engine and waits until `n` jobs have ended and nothing is left running. */
export async function startAndSettle(bench: Bench, n = 1): Promise<void> {
  await bench.engine.start();
  await until(bench.events, jobsEnded(n));
  await bench.engine.idle();
}

/** At least `n` jobs have ended, done or failed. */
export function jobsEnded(n = 1): (events: readonly StationEvent[]) => boolean {
  return (events) => events.filter((e) => e.type === 'job-done' || e.type === 'job-failed').length >= n;
}
