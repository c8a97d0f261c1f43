// What the renderer may know about the station: tiles, orders, history, settings. Never a secret — a PIN,
// token or private key has no field here, so it cannot cross the bridge by accident.
import { z } from 'zod';

/** A tile's life (bench-ux.md): one value per thing a technician can see happen to a key. */
export const TileStateSchema = z.enum([
  'checking',
  'ready',
  'needs-reset',
  'not-supported',
  'waiting-order',
  'enrolling',
  'setting-pin',
  'touch',
  'creating-credential',
  'verifying',
  'activating',
  'delivering',
  'done',
  /** Programmed offline: the key may go; its factor activates in Okta on the next sync. */
  'awaiting-activation',
  'failed',
  'quarantined',
]);
export type TileState = z.infer<typeof TileStateSchema>;

export const FailureSchema = z.object({
  code: z.string(),
  /** What happened, in plain words. */
  message: z.string(),
  /** The single next step for the technician. */
  action: z.string(),
  retryable: z.boolean(),
});
export type Failure = z.infer<typeof FailureSchema>;

export const KeyTileSchema = z.object({
  /** Stable identity of the USB port (device path) or `virtual:N`. */
  port: z.string(),
  /** What the technician reads: "Port 3". */
  label: z.string(),
  kind: z.enum(['usb', 'virtual']),
  model: z.string().optional(),
  serial: z.string().optional(),
  serialSource: z.enum(['usb', 'vendor', 'scan', 'none']).optional(),
  state: TileStateSchema,
  /** The current step in words, e.g. "Creating credential 1 of 2". */
  step: z.string(),
  /** 0 to 1. */
  progress: z.number().min(0).max(1),
  order: z.object({ orderId: z.string(), user: z.string(), displayName: z.string().optional() }).optional(),
  startedAt: z.iso.datetime().optional(),
  /** When the job on this key ended (done, failed or parked), so the tile can say how long ago. */
  finishedAt: z.iso.datetime().optional(),
  failure: FailureSchema.optional(),
  /** Only one key asks for a touch at a time; the others wait their turn. */
  touch: z.enum(['none', 'now', 'waiting']),
});
export type KeyTile = z.infer<typeof KeyTileSchema>;

export const OrderStateSchema = z.enum(['waiting', 'assigned', 'done', 'failed', 'cancelled']);
export const DeliverySchema = z.enum(['email', 'print', 'both', 'hold']);

export const OrderSchema = z.object({
  orderId: z.string(),
  user: z.string(),
  displayName: z.string().optional(),
  state: OrderStateSchema,
  source: z.enum(['scan', 'import', 'okta', 'cli']),
  delivery: DeliverySchema,
  createdAt: z.iso.datetime(),
  batchId: z.string().optional(),
  /** Set when an enrollment was made ahead of time (offline batch). */
  expiresAt: z.iso.datetime().optional(),
});
export type Order = z.infer<typeof OrderSchema>;

export const StationStatusSchema = z.object({
  org: z.object({ url: z.string(), name: z.string().optional(), simulated: z.boolean() }),
  online: z.boolean(),
  operator: z.string().optional(),
  ordersWaiting: z.number().int().nonnegative(),
  doneToday: z.number().int().nonnegative(),
  failedToday: z.number().int().nonnegative(),
  sync: z.object({
    enrolledAhead: z.number().int().nonnegative(),
    pendingActivations: z.number().int().nonnegative(),
    /** Seconds until the queue is flushed, when known. */
    etaSeconds: z.number().nonnegative().optional(),
  }),
  /** Why real keys cannot be reached (node-hid missing, permissions), if so. */
  hardwareNotice: z.string().optional(),
});
export type StationStatus = z.infer<typeof StationStatusSchema>;

export const SnapshotSchema = z.object({ status: StationStatusSchema, tiles: z.array(KeyTileSchema) });
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** Where a job's PIN went: sent by Okta, printed in a mailer, held for a confirmed delivery, or failed. */
export const PinDeliveryStateSchema = z.enum(['sent', 'printed', 'held', 'failed', 'none']);
export type PinDeliveryState = z.infer<typeof PinDeliveryStateSchema>;

export const HistoryEntrySchema = z.object({
  jobId: z.string(),
  orderId: z.string(),
  user: z.string(),
  port: z.string(),
  model: z.string().optional(),
  serial: z.string().optional(),
  outcome: z.enum(['done', 'failed', 'cancelled']),
  failureCause: z.string().optional(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  durationMs: z.number().nonnegative().optional(),
  enrollmentIds: z.array(z.string()),
  /** The latest state of the PIN's delivery. */
  pin: PinDeliveryStateSchema,
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const AttestationVerdictSchema = z.object({
  trusted: z.boolean(),
  reason: z.string(),
  source: z.enum(['mds', 'vendor', 'virtual']).optional(),
  rootSubject: z.string().optional(),
  leafSubject: z.string().optional(),
  mdsStatus: z.string().optional(),
});
export type AttestationVerdictView = z.infer<typeof AttestationVerdictSchema>;

export const DeliveryRecordSchema = z.object({
  method: z.enum(['email', 'print', 'hold']),
  outcome: z.enum(['sent', 'printed', 'held', 'failed']),
  at: z.iso.datetime(),
  printer: z.string().optional(),
  oktaRequestId: z.string().optional(),
  operator: z.string().optional(),
  cause: z.string().optional(),
});
export type DeliveryRecord = z.infer<typeof DeliveryRecordSchema>;

/** One job in full, for the History record view: what happened, when, on which key. Never a secret. */
export const JobDetailSchema = z.object({
  entry: HistoryEntrySchema,
  key: z.object({
    aaguid: z.string().optional(),
    model: z.string().optional(),
    serial: z.string().optional(),
    serialSource: z.enum(['usb', 'vendor', 'scan', 'none']).optional(),
    firmware: z.string().optional(),
  }),
  userId: z.string().optional(),
  operator: z.string().optional(),
  batchId: z.string().optional(),
  delivery: DeliverySchema,
  steps: z.array(z.object({ name: z.string(), at: z.iso.datetime(), summary: z.string() })),
  attempts: z.array(z.object({ step: z.string(), at: z.iso.datetime(), code: z.string(), cause: z.string(), oktaRequestId: z.string().optional(), ctapStatus: z.string().optional() })),
  attestation: AttestationVerdictSchema.optional(),
  deliveries: z.array(DeliveryRecordSchema),
  /** What the technician may do now. */
  can: z.object({ confirmDelivery: z.boolean(), resendPin: z.boolean(), printLabel: z.boolean() }),
});
export type JobDetail = z.infer<typeof JobDetailSchema>;

/** A PIN held until the key's delivery is confirmed. */
export const HeldPinSchema = z.object({
  jobId: z.string(),
  orderId: z.string(),
  user: z.string(),
  model: z.string().optional(),
  serial: z.string().optional(),
  heldSince: z.iso.datetime(),
  batchId: z.string().optional(),
});
export type HeldPin = z.infer<typeof HeldPinSchema>;

export const PrinterSchema = z.object({
  name: z.string(),
  isDefault: z.boolean(),
  description: z.string().optional(),
  state: z.enum(['idle', 'printing', 'stopped', 'unknown']).optional(),
});

export const PreflightCheckSchema = z.object({
  id: z.string(),
  subject: z.string().optional(),
  status: z.enum(['pass', 'fail', 'warn', 'skipped']),
  detail: z.string(),
  fix: z.string().optional(),
});
export const PreflightReportSchema = z.object({ ok: z.boolean(), checks: z.array(PreflightCheckSchema), ranAt: z.iso.datetime() });
export type PreflightReport = z.infer<typeof PreflightReportSchema>;

export const TrustStatusSchema = z.object({
  policy: z.enum(['require', 'record-only']),
  aaguidAllowList: z.array(z.string()),
  mds: z.object({
    present: z.boolean(),
    serial: z.number().int().optional(),
    nextUpdate: z.string().optional(),
    stale: z.boolean().optional(),
    entries: z.number().int().nonnegative().optional(),
    problem: z.string().optional(),
  }),
  vendorRoots: z.array(z.object({ subject: z.string(), sha256: z.string() })),
});
export type TrustStatus = z.infer<typeof TrustStatusSchema>;

export const AuditVerificationSchema = z.object({
  ok: z.boolean(),
  entries: z.number().int().nonnegative(),
  firstBad: z.object({ seq: z.number().int(), problem: z.string(), detail: z.string() }).optional(),
  seals: z.array(z.object({ batchId: z.string(), headSeq: z.number().int(), valid: z.boolean() })),
  unsealedTail: z.number().int().nonnegative(),
});
export type AuditVerificationView = z.infer<typeof AuditVerificationSchema>;

export const HistoryChartSchema = z.object({
  /** Keys finished per hour of the day, index 0 = 00:00–00:59 local time. */
  perHour: z.array(z.number().int().nonnegative()).length(24),
  failuresByCause: z.array(z.object({ cause: z.string(), count: z.number().int().nonnegative() })),
});
export type HistoryChart = z.infer<typeof HistoryChartSchema>;

export const PinPolicySettingsSchema = z.object({
  /** Minimum length the station programs, on top of what Okta's PIN request asks. */
  minLength: z.number().int().min(4).max(63),
  forceChangePin: z.boolean(),
});

export const SettingsSchema = z.object({
  org: z.object({ url: z.string(), simulated: z.boolean(), rpIds: z.array(z.string()) }),
  /** Write-only credentials: the renderer learns only whether they are set. */
  credentials: z.object({ kind: z.enum(['none', 'ssws', 'oauth']), configured: z.boolean(), persisted: z.boolean() }),
  pin: PinPolicySettingsSchema,
  delivery: DeliverySchema,
  sounds: z.boolean(),
  printer: z.string().optional(),
  /** Paper of the PIN mailer and size of key labels. */
  paper: z.enum(['a4', 'letter']),
  labelSize: z.enum(['62mm', '4x6in']),
  virtualKeys: z.number().int().min(0).max(16),
  operator: z.string().optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const StationKeyInfoSchema = z.object({ kid: z.string(), use: z.enum(['enc', 'sig']), createdAt: z.string(), current: z.boolean() });
