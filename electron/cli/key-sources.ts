// The keys a command can see: real keys through node-hid (when it loads) and N virtual keys.
import type { HidBackend, HidDescriptor } from '../core/hid/device.js';
import { loadNodeHidBackend } from '../core/hid/node-hid.js';
import { VirtualKeyBackend } from '../core/virtual-key/virtual-key.js';
import { UsageError } from './usage.js';

export interface KeySources {
  readonly backends: HidBackend[];
  /** Why real keys cannot be reached, when node-hid did not load. */
  readonly realKeysUnavailable?: string;
}

export async function keySources(virtualCount: number): Promise<KeySources> {
  const backends: HidBackend[] = [];
  const real = await loadNodeHidBackend();
  let realKeysUnavailable: string | undefined;
  if ('unavailable' in real) realKeysUnavailable = real.unavailable;
  else backends.push(real);
  if (virtualCount > 0) backends.push(new VirtualKeyBackend(virtualCount));
  return { backends, realKeysUnavailable };
}

export interface ListedKey {
  readonly index: number;
  readonly descriptor: HidDescriptor;
  readonly backend: HidBackend;
}

export async function listKeys(sources: KeySources): Promise<ListedKey[]> {
  const keys: ListedKey[] = [];
  for (const backend of sources.backends) {
    for (const descriptor of await backend.enumerate()) keys.push({ index: keys.length + 1, descriptor, backend });
  }
  return keys;
}

/** A key named by its number in `keybench keys`, its device path, or its serial number. */
export function selectKey(keys: readonly ListedKey[], selector: string): ListedKey | undefined {
  if (/^\d+$/.test(selector)) {
    const byIndex = keys.find((k) => k.index === Number(selector));
    if (byIndex) return byIndex;
  }
  return keys.find((k) => k.descriptor.path === selector) ?? keys.find((k) => k.descriptor.serialNumber === selector);
}

export function parseCount(value: string | undefined, flag: string, usage: string): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value) || Number(value) > 64) throw new UsageError(`${flag} takes a whole number from 0 to 64, got "${value}"`, usage);
  return Number(value);
}
