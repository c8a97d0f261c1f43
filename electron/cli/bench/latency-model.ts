// The bench's model of the world's slowness: each CTAP command's time on the key, the technician's touch,
// Okta's answer time and request budget, and how often the station looks for newly plugged keys.
import { COMMAND_NAMES, type CommandName, type VirtualKeyOverrides } from '../../core/virtual-key/options.js';

export interface LatencyModel {
  readonly makeCredentialMs: number;
  readonly setPinMs: number;
  /** Every other CTAP command (getInfo, the other clientPIN subcommands, config, credentialManagement, …). */
  readonly otherCtapMs: number;
  /** One touch by the technician: notice the prompt, reach the key, touch it. */
  readonly touchMs: number;
  readonly oktaMs: number;
  /** Okta's request budget per minute. */
  readonly rpm: number;
  /** The station's hotplug poll (its default is 750 ms). */
  readonly pollMs: number;
}

export const REALISTIC: LatencyModel = { makeCredentialMs: 300, setPinMs: 150, otherCtapMs: 20, touchMs: 700, oktaMs: 120, rpm: 300, pollMs: 750 };

/** `--fast`: every duration ÷10 (the request budget stays: it is a count, not a time). */
export function scaled(model: LatencyModel, factor: number): LatencyModel {
  const s = (ms: number) => Math.max(1, Math.round(ms * factor));
  return {
    makeCredentialMs: s(model.makeCredentialMs),
    setPinMs: s(model.setPinMs),
    otherCtapMs: s(model.otherCtapMs),
    touchMs: s(model.touchMs),
    oktaMs: s(model.oktaMs),
    rpm: model.rpm,
    pollMs: s(model.pollMs),
  };
}

/** The virtual key's per-command latency knob; setPIN's extra time is added by the key farm. */
export function commandLatencies(model: LatencyModel): Record<CommandName, number> {
  const latency = Object.fromEntries(COMMAND_NAMES.map((name) => [name, model.otherCtapMs])) as Record<CommandName, number>;
  latency.makeCredential = model.makeCredentialMs;
  return latency;
}

/** How much longer a setPIN takes than the clientPIN knob already gives it. */
export function setPinSurchargeMs(model: LatencyModel): number {
  return Math.max(0, model.setPinMs - model.otherCtapMs);
}

/** A fresh key as the bench plugs it: realistic latencies, and it waits for a real touch. */
export function benchKey(model: LatencyModel): VirtualKeyOverrides {
  return { latencyMs: commandLatencies(model), userPresence: { mode: 'manual', timeoutMs: 60_000 } };
}

/** Time the key spends on `counts` CTAP commands (with `setPins` of the clientPIN ones being setPIN). */
export function deviceMs(model: LatencyModel, counts: Readonly<Partial<Record<CommandName, number>>>, setPins: number): number {
  const latency = commandLatencies(model);
  let total = setPins * setPinSurchargeMs(model);
  for (const name of COMMAND_NAMES) total += (counts[name] ?? 0) * latency[name];
  return total;
}
