// Messages between the bench and its key farm (the child process that hosts the virtual keys, so their
// own crypto does not count as the station's CPU time). Sent with `serialization: 'advanced'`, so
// reports cross as Uint8Array.
import type { HidDescriptor } from '../../core/hid/device.js';
import type { VirtualKeyOverrides } from '../../core/virtual-key/options.js';

export type FarmRequest =
  | { readonly type: 'plug'; readonly id: number; readonly overrides: VirtualKeyOverrides; readonly setPinSurchargeMs: number }
  | { readonly type: 'unplug'; readonly id: number; readonly path: string }
  | { readonly type: 'touch'; readonly id: number; readonly path: string }
  | { readonly type: 'open'; readonly id: number; readonly path: string; readonly handle: number }
  | { readonly type: 'write'; readonly handle: number; readonly report: Uint8Array }
  | { readonly type: 'close'; readonly handle: number };

export type FarmMessage =
  /** `rootCertificate`: the DER of this process's virtual attestation CA, for the station's attestation gate. */
  | { readonly type: 'ready'; readonly rootCertificate: Uint8Array }
  | { readonly type: 'done'; readonly id: number; readonly descriptor?: HidDescriptor; readonly error?: string }
  | { readonly type: 'report'; readonly handle: number; readonly report: Uint8Array }
  | { readonly type: 'gone'; readonly handle: number; readonly message: string };
