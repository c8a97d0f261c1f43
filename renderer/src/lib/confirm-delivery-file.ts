// Reads a dropped or picked list of delivered orders and hands its text to the station, which matches each
// line (order id, login or key serial) to a held PIN and has Okta send it.
import type { ChannelResult } from '../../../electron/contract/index.js';
import type { StationStore } from './station-store.svelte.js';

export type DeliveryOutcome = { ok: false; title: string; message: string } | ({ ok: true; title: string } & ChannelResult<'pins.confirmDeliveryFile'>);

/** The contract's limit on the text of one file. */
const MAX_CHARS = 20_000_000;
const ACCEPTED = /\.(csv|txt)$/i;

export async function confirmDeliveryFile(store: StationStore, file: File): Promise<DeliveryOutcome> {
  const fileName = file.name.slice(0, 256);
  const title = `Delivered orders in ${fileName}`;
  const refuse = (message: string): DeliveryOutcome => ({ ok: false, title, message });
  if (!ACCEPTED.test(file.name)) return refuse(`${fileName} is not a .csv or .txt file. Save the list of delivered orders as CSV or plain text and drop that file.`);
  if (file.size > MAX_CHARS) return refuse(`${fileName} is too large to read in one go. Split it into files under 20 MB.`);
  let text: string;
  try {
    text = await file.text();
  } catch {
    return refuse(`${fileName} could not be read. Copy it to this computer and try again.`);
  }
  const result = await store.call('pins.confirmDeliveryFile', { fileName, text });
  if (!result.ok) return refuse(result.error.message);
  return { ok: true, title, ...result.data };
}
