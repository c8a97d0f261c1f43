// The port a vendor-serial reader talks through: one HID interface that exchanges feature reports, as
// node-hid's HIDAsync handle offers it. Tests put a simulated key behind it.

export interface FeatureReportDevice {
  readonly path: string;
  /** Sends one feature report; `data[0]` is the report id (0x00 for interfaces without numbered reports). */
  sendFeatureReport(data: Uint8Array): Promise<void>;
  /** Reads one feature report of `length` bytes including the leading report id byte, as hidapi returns it. */
  getFeatureReport(reportId: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}
