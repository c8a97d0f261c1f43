// Reads a dropped or picked file and hands its text to the station, which parses and checks the rows.
import type { StationStore } from './station-store.svelte.js';

export interface ImportOutcome {
  fileName: string;
  ok: boolean;
  /** Why the file could not be imported at all, when it could not. */
  message: string;
  added: number;
  errors: { line: number; message: string }[];
}

/** The contract's limit on the text of one import. */
const MAX_CHARS = 20_000_000;
const ACCEPTED = /\.(csv|json)$/i;

export async function importOrders(store: StationStore, file: File): Promise<ImportOutcome> {
  const fileName = file.name.slice(0, 256);
  const refuse = (message: string): ImportOutcome => ({ fileName, ok: false, message, added: 0, errors: [] });
  if (!ACCEPTED.test(file.name)) return refuse(`${fileName} is not a .csv or .json file. Export the orders as CSV or JSON and drop that file.`);
  if (file.size > MAX_CHARS) return refuse(`${fileName} is too large to import in one go. Split it into files under 20 MB.`);
  let text: string;
  try {
    text = await file.text();
  } catch {
    return refuse(`${fileName} could not be read. Copy it to this computer and try again.`);
  }
  const result = await store.call('orders.import', { fileName, text });
  if (!result.ok) return refuse(result.error.message);
  return { fileName, ok: true, message: '', added: result.data.added, errors: result.data.errors };
}
