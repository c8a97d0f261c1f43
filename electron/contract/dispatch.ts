// The one place a request from the renderer is checked and answered, used by the Electron IPC router and
// by the browser-mode WebSocket bridge alike: unknown channels and bad arguments are refused, handlers'
// failures become `{ok:false}` results, and nothing is ever thrown across the bridge.
import type { z } from 'zod';
import { CHANNELS, isChannel, type Channel, type ChannelResult, type ErrorCode, type Result, type StationEvent } from './channels.js';

export type ChannelInput<C extends Channel> = z.output<(typeof CHANNELS)[C]['args']>;

export type StationHandlers = { [C in Channel]: (args: ChannelInput<C>) => Promise<ChannelResult<C>> };

/** What the bridges serve: the handlers and the event stream. */
export interface StationBackend {
  readonly handlers: StationHandlers;
  onEvent(listener: (event: StationEvent) => void): () => void;
}

/** A failure a handler reports on purpose; its message is shown to the technician as it is. */
export class StationRequestError extends Error {
  override readonly name = 'StationRequestError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export async function dispatch(
  backend: StationBackend,
  channel: unknown,
  rawArgs: unknown,
  onInternalError: (channel: string, error: unknown) => void,
): Promise<Result<unknown>> {
  if (!isChannel(channel)) {
    return { ok: false, error: { code: 'unknown-channel', message: `There is no station request called ${JSON.stringify(String(channel)).slice(0, 80)}.` } };
  }
  const parsed = CHANNELS[channel].args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    return { ok: false, error: { code: 'bad-request', message: `The request ${channel} was malformed (${describeIssues(parsed.error)}).` } };
  }
  try {
    const handler = backend.handlers[channel] as (args: unknown) => Promise<unknown>;
    return { ok: true, data: await handler(parsed.data) };
  } catch (error) {
    if (error instanceof StationRequestError) return { ok: false, error: { code: error.code, message: error.message } };
    onInternalError(channel, error);
    return { ok: false, error: { code: 'internal', message: 'The station hit an unexpected error; it has been logged. Try again.' } };
  }
}
