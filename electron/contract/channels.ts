// The station API: one allowlist of named requests, each with the schema of its arguments and of its
// answer, and one stream of events. The preload (Electron) and the WebSocket bridge (browser mode) both
// implement exactly this, and both sides parse what crosses; nothing else can be called.
import { z } from 'zod';
import {
  AuditVerificationSchema,
  DeliverySchema,
  HeldPinSchema,
  JobDetailSchema,
  PreflightReportSchema,
  PrinterSchema,
  TrustStatusSchema,
  HistoryChartSchema,
  HistoryEntrySchema,
  KeyTileSchema,
  OrderSchema,
  OrderStateSchema,
  PinPolicySettingsSchema,
  SettingsSchema,
  SnapshotSchema,
  StationKeyInfoSchema,
  StationStatusSchema,
} from './models.js';

const Port = z.object({ port: z.string().min(1).max(512) });
const Empty = z.object({}).strict();
const Done = z.object({ message: z.string() });
const Page = { offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(100) };

export const CHANNELS = {
  'station.snapshot': { args: Empty, result: SnapshotSchema },
  /** A barcode scan or typed entry: an order (login, email, order id) or a box serial for the key waiting for one. */
  'orders.scan': { args: z.object({ code: z.string().trim().min(1).max(256) }).strict(), result: z.object({ kind: z.enum(['order', 'serial']), message: z.string() }) },
  'orders.list': {
    args: z.object({ query: z.string().max(256).optional(), state: OrderStateSchema.optional(), ...Page }).strict(),
    result: z.object({ total: z.number().int(), items: z.array(OrderSchema) }),
  },
  'orders.import': {
    args: z.object({ fileName: z.string().max(256), text: z.string().max(20_000_000) }).strict(),
    result: z.object({ added: z.number().int(), errors: z.array(z.object({ line: z.number().int(), message: z.string() })) }),
  },
  'orders.pull': { args: Empty, result: z.object({ added: z.number().int(), message: z.string() }) },
  'orders.cancel': { args: z.object({ orderId: z.string().min(1) }).strict(), result: Done },
  'jobs.retry': { args: Port.strict(), result: Done },
  'jobs.skip': { args: Port.strict(), result: Done },
  'jobs.quarantine': { args: Port.strict(), result: Done },
  'jobs.cancelStep': { args: Port.strict(), result: Done },
  /** Clears the tile of a key pulled mid-job once the technician has read why its job stopped. */
  'jobs.dismiss': { args: Port.strict(), result: Done },
  'keys.reset': { args: Port.strict(), result: Done },
  'keys.wink': { args: Port.strict(), result: Done },
  /** Enrolls waiting orders in Okta ahead of any key (online), so keys can be programmed for them offline. */
  'batch.enrollAhead': {
    args: z.object({ batchId: z.string().min(1).max(256).optional(), orderIds: z.array(z.string().min(1).max(256)).min(1).max(10_000).optional() }).strict(),
    result: z.object({ message: z.string(), enrolled: z.number().int().nonnegative(), failed: z.number().int().nonnegative() }),
  },
  'batch.sync': { args: Empty, result: Done },
  'history.list': {
    args: z.object({ query: z.string().max(256).optional(), ...Page }).strict(),
    result: z.object({ total: z.number().int(), items: z.array(HistoryEntrySchema) }),
  },
  'history.chart': { args: Empty, result: HistoryChartSchema },
  'history.record': { args: z.object({ jobId: z.string().min(1).max(256) }).strict(), result: JobDetailSchema },
  /** PINs held until their keys' delivery is confirmed (delivery "hold"). */
  'pins.held': {
    args: z.object({ query: z.string().max(256).optional(), ...Page }).strict(),
    result: z.object({ total: z.number().int(), items: z.array(HeldPinSchema) }),
  },
  /** The keys arrived: have Okta send each one's PIN now. */
  'pins.confirmDelivery': {
    args: z.object({ jobIds: z.array(z.string().min(1).max(256)).min(1).max(10_000) }).strict(),
    result: z.object({ sent: z.number().int().nonnegative(), failed: z.array(z.object({ jobId: z.string(), message: z.string() })), message: z.string() }),
  },
  /** A CSV (or plain list) of delivered orders: order id, login or key serial per line. */
  'pins.confirmDeliveryFile': {
    args: z.object({ fileName: z.string().max(256), text: z.string().max(20_000_000) }).strict(),
    result: z.object({
      sent: z.number().int().nonnegative(),
      failed: z.array(z.object({ jobId: z.string(), message: z.string() })),
      errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
      message: z.string(),
    }),
  },
  /** Okta sends the PIN of an active key once more. A printed PIN cannot be printed again. */
  'pins.resend': { args: z.object({ jobId: z.string().min(1).max(256) }).strict(), result: Done },
  'labels.print': {
    args: z.object({ jobId: z.string().min(1).max(256), size: z.enum(['62mm', '4x6in']).optional(), output: z.enum(['printer', 'pdf']) }).strict(),
    result: z.object({ message: z.string(), pdf: z.object({ fileName: z.string(), base64url: z.string() }).optional() }),
  },
  'printers.list': { args: Empty, result: z.object({ printers: z.array(PrinterSchema), problem: z.string().optional() }) },
  /** Prints a marked sample PIN mailer with no PIN, to check the printer's scaling against a window envelope. */
  'printers.sample': { args: z.object({ paper: z.enum(['a4', 'letter']).optional() }).strict(), result: Done },
  /** Checks the Okta org (and optionally some users) before a batch: token, scopes, preregistration, clock. */
  'preflight.run': { args: z.object({ users: z.array(z.string().min(1).max(256)).max(200).optional() }).strict(), result: PreflightReportSchema },
  'trust.status': { args: Empty, result: TrustStatusSchema },
  /** Imports a FIDO Metadata Service (MDS3) blob; refused unless its signature chains to the FIDO root. */
  'trust.importMds': { args: z.object({ text: z.string().min(1).max(50_000_000) }).strict(), result: TrustStatusSchema },
  'trust.update': {
    args: z
      .object({ policy: z.enum(['require', 'record-only']).optional(), aaguidAllowList: z.array(z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)).max(500).optional() })
      .strict(),
    result: TrustStatusSchema,
  },
  'audit.verify': { args: Empty, result: AuditVerificationSchema },
  'audit.export': {
    args: z.object({ format: z.enum(['jsonl', 'pdf']) }).strict(),
    result: z.object({ fileName: z.string(), mimeType: z.string(), content: z.string(), encoding: z.enum(['utf8', 'base64url']) }),
  },
  'history.export': {
    args: z.object({ format: z.enum(['csv', 'json']) }).strict(),
    result: z.object({ fileName: z.string(), mimeType: z.string(), content: z.string() }),
  },
  'settings.get': { args: Empty, result: SettingsSchema },
  'settings.update': {
    args: z
      .object({
        pin: PinPolicySettingsSchema.optional(),
        delivery: DeliverySchema.optional(),
        sounds: z.boolean().optional(),
        printer: z.string().max(256).optional(),
        paper: z.enum(['a4', 'letter']).optional(),
        labelSize: z.enum(['62mm', '4x6in']).optional(),
        virtualKeys: z.number().int().min(0).max(16).optional(),
        operator: z.string().max(128).optional(),
        rpIds: z.array(z.string().max(253)).max(8).optional(),
      })
      .strict(),
    result: SettingsSchema,
  },
  /** Write-only: the renderer hands credentials over and never gets them back. */
  'settings.setCredentials': {
    args: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('ssws'), orgUrl: z.string().url(), token: z.string().min(10).max(512) }).strict(),
      z.object({ kind: z.literal('oauth'), orgUrl: z.string().url(), clientId: z.string().min(1).max(256), privateJwk: z.string().min(10).max(20_000) }).strict(),
    ]),
    result: SettingsSchema,
  },
  'settings.useSimulator': { args: Empty, result: SettingsSchema },
  'stationKeys.list': { args: Empty, result: z.object({ keys: z.array(StationKeyInfoSchema), jwks: z.string() }) },
  'stationKeys.rotate': { args: Empty, result: z.object({ keys: z.array(StationKeyInfoSchema), jwks: z.string() }) },
} as const;

export type Channel = keyof typeof CHANNELS;
export type ChannelArgs<C extends Channel> = z.input<(typeof CHANNELS)[C]['args']>;
export type ChannelResult<C extends Channel> = z.infer<(typeof CHANNELS)[C]['result']>;

export const CHANNEL_NAMES = Object.keys(CHANNELS) as Channel[];

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.hasOwn(CHANNELS, name);
}

export const ErrorCodeSchema = z.enum(['bad-request', 'unknown-channel', 'not-found', 'conflict', 'unavailable', 'forbidden', 'internal']);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export type Result<T> = { ok: true; data: T } | { ok: false; error: { code: ErrorCode; message: string } };

export const StationEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), snapshot: SnapshotSchema }),
  z.object({ type: z.literal('tile'), tile: KeyTileSchema }),
  z.object({ type: z.literal('tile-removed'), port: z.string() }),
  z.object({ type: z.literal('status'), status: StationStatusSchema }),
  z.object({ type: z.literal('orders-changed') }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'warning', 'error']), message: z.string() }),
  z.object({ type: z.literal('sound'), sound: z.enum(['success', 'touch', 'failure']) }),
  /** Browser mode: a PIN mailer is ready to download, once, from /documents/<token>; the page starts the download. */
  z.object({ type: z.literal('document'), token: z.string(), fileName: z.string(), expiresAt: z.iso.datetime() }),
]);
export type StationEvent = z.infer<typeof StationEventSchema>;

/** `window.station`: the only thing the renderer knows about the world outside the page. */
export interface StationApi {
  call<C extends Channel>(channel: C, args: ChannelArgs<C>): Promise<Result<ChannelResult<C>>>;
  /** Subscribes to station events; returns the unsubscribe function. */
  onEvent(listener: (event: StationEvent) => void): () => void;
}
