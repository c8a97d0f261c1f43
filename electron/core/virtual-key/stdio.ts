// A HidDevice as a byte stream of fixed 64-byte records, for CTAP clients in other processes
// (python-fido2, libfido2 via ctypes) driving a virtual key through `keybench virtual-key --stdio`:
// each input record is one report written to the device, each report the device sends is one output record.
import type { Readable, Writable } from 'node:stream';
import { HID_REPORT_SIZE } from '../ctap/constants.js';
import type { HidDevice } from '../hid/device.js';

const READ_POLL_MS = 50;

function writeRecord(output: Writable, record: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    output.write(record, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Bridges `device` to a pair of streams until `input` ends (then resolves, after passing on what the
 * device had already sent). Rejects if the device goes away or a stream fails; a trailing partial
 * record at the end of input is dropped.
 */
export async function serveStdio(device: HidDevice, input: Readable, output: Writable): Promise<void> {
  let inputEnded = false;
  let failure: unknown;
  let pending = new Uint8Array(0);
  let writes: Promise<void> = Promise.resolve();
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const fail = (e: unknown) => {
    failure ??= e;
    stop();
  };

  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk);
    const joined = new Uint8Array(pending.length + bytes.length);
    joined.set(pending);
    joined.set(bytes, pending.length);
    let offset = 0;
    for (; offset + HID_REPORT_SIZE <= joined.length; offset += HID_REPORT_SIZE) {
      const report = joined.slice(offset, offset + HID_REPORT_SIZE);
      // Reports reach the device in order; the first failure stops the bridge.
      writes = writes.then(() => (failure === undefined ? device.write(report) : undefined)).catch(fail);
    }
    pending = joined.slice(offset);
  };
  const onEnd = () => {
    inputEnded = true;
    stop();
  };
  input.on('data', onData);
  input.once('end', onEnd);
  input.once('error', fail);

  const pump = (async () => {
    while (!inputEnded && failure === undefined) {
      const report = await device.read(READ_POLL_MS);
      if (report) await writeRecord(output, report);
      // A device whose read returns at once must not starve the timers and I/O of this process.
      else await new Promise((resolve) => setImmediate(resolve));
    }
  })().catch(fail);

  try {
    await stopped;
    await writes;
    await pump;
    if (failure === undefined) {
      for (let report = await device.read(0); report; report = await device.read(0)) await writeRecord(output, report);
    }
  } finally {
    input.off('data', onData);
    input.off('end', onEnd);
    input.off('error', fail);
  }
  if (failure !== undefined) throw failure;
}
