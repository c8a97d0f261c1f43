// The messages between main and the HID host utility process. Requests are `{id, op, args}`, answers
// `{id, ok, data | error}`, and hotplug is pushed as `{event, descriptor}`. Reports cross as base64url
// strings and errors as `{name, message}`, revived into the key stack's typed errors on the main side.
// Both sides parse what they receive: a native crash can leave anything on the wire.
import { z } from 'zod';
import { DeviceAccessError, DeviceGoneError, KeyTimeoutError } from '../core/ctap/errors.js';
import type { HidDescriptor } from '../core/hid/device.js';

const Id = z.number().int().nonnegative();
const Handle = z.number().int().positive();
const Report = z.string().regex(/^[A-Za-z0-9_-]+$/).max(200);

export const HidDescriptorSchema = z.object({
  path: z.string().min(1).max(4096),
  kind: z.enum(['usb', 'virtual']),
  vendorId: z.number().int().min(0).max(0xffff),
  productId: z.number().int().min(0).max(0xffff),
  serialNumber: z.string().max(256).optional(),
  vendorSerial: z.string().max(256).optional(),
  product: z.string().max(256).optional(),
  manufacturer: z.string().max(256).optional(),
}) satisfies z.ZodType<HidDescriptor>;

export const HID_OP_ARGS = {
  enumerate: z.object({}).strict(),
  open: z.object({ path: z.string().min(1).max(4096) }).strict(),
  write: z.object({ handle: Handle, report: Report }).strict(),
  read: z.object({ handle: Handle, timeoutMs: z.number().min(0).max(600_000) }).strict(),
  close: z.object({ handle: Handle }).strict(),
  /** Starts hotplug events polled every `intervalMs`; 0 stops them. */
  watch: z.object({ intervalMs: z.number().int().min(0).max(60_000) }).strict(),
} as const;

export const HID_OP_DATA = {
  enumerate: z.array(HidDescriptorSchema),
  open: z.object({ handle: Handle, descriptor: HidDescriptorSchema }),
  write: z.null(),
  read: z.object({ report: Report.nullable() }),
  close: z.null(),
  watch: z.null(),
} as const;

export type HidOp = keyof typeof HID_OP_ARGS;
export type HidOpArgs<O extends HidOp> = z.infer<(typeof HID_OP_ARGS)[O]>;
export type HidOpData<O extends HidOp> = z.infer<(typeof HID_OP_DATA)[O]>;

export const HidHostRequestSchema = z.discriminatedUnion('op', [
  z.object({ id: Id, op: z.literal('enumerate'), args: HID_OP_ARGS.enumerate }),
  z.object({ id: Id, op: z.literal('open'), args: HID_OP_ARGS.open }),
  z.object({ id: Id, op: z.literal('write'), args: HID_OP_ARGS.write }),
  z.object({ id: Id, op: z.literal('read'), args: HID_OP_ARGS.read }),
  z.object({ id: Id, op: z.literal('close'), args: HID_OP_ARGS.close }),
  z.object({ id: Id, op: z.literal('watch'), args: HID_OP_ARGS.watch }),
]);
export type HidHostRequest = z.infer<typeof HidHostRequestSchema>;

const WireErrorName = z.enum(['DeviceGoneError', 'DeviceAccessError', 'KeyTimeoutError', 'RangeError', 'Error']);
export const WireErrorSchema = z.object({ name: WireErrorName, message: z.string().max(2000) });
export type WireError = z.infer<typeof WireErrorSchema>;

export const HidHostMessageSchema = z.union([
  z.object({ id: Id, ok: z.literal(true), data: z.unknown() }),
  z.object({ id: Id, ok: z.literal(false), error: WireErrorSchema }),
  z.object({ event: z.enum(['added', 'removed']), descriptor: HidDescriptorSchema }),
]);
export type HidHostMessage = z.infer<typeof HidHostMessageSchema>;

export function toWireError(error: unknown): WireError {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
  const name = WireErrorName.safeParse(error instanceof Error ? error.name : undefined);
  return { name: name.success ? name.data : 'Error', message };
}

export function fromWireError(error: WireError): Error {
  switch (error.name) {
    case 'DeviceGoneError':
      return new DeviceGoneError(error.message);
    case 'DeviceAccessError':
      return new DeviceAccessError(error.message);
    case 'KeyTimeoutError':
      return new KeyTimeoutError(error.message);
    case 'RangeError':
      return new RangeError(error.message);
    default:
      return new Error(error.message);
  }
}
