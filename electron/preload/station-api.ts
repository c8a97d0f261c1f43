// window.station for the Electron renderer: the contract's two functions and nothing else. Names outside
// the allowlist are refused here without touching IPC (the main side checks again), answers and events are
// parsed against the contract before the page sees them, and the IpcRendererEvent — which carries the
// raw ipcRenderer — never reaches page code (Electron security checklist item 20).
import { z } from 'zod';
import {
  CHANNELS,
  ErrorCodeSchema,
  isChannel,
  StationEventSchema,
  type Channel,
  type ChannelArgs,
  type ChannelResult,
  type Result,
  type StationApi,
  type StationEvent,
} from '../contract/index.js';
import { STATION_CALL_CHANNEL, STATION_EVENT_CHANNEL } from './ipc-channels.js';

type RendererListener = (event: unknown, ...args: unknown[]) => void;

/** The part of Electron's ipcRenderer the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: RendererListener): unknown;
  removeListener(channel: string, listener: RendererListener): unknown;
}

/** The part of Electron's contextBridge the preload uses. */
export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

const AnswerSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: ErrorCodeSchema, message: z.string() }) }),
]);

function failure(code: 'unknown-channel' | 'unavailable' | 'internal', message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

async function call<C extends Channel>(ipcRenderer: IpcRendererLike, channel: C, args: ChannelArgs<C>): Promise<Result<ChannelResult<C>>> {
  if (!isChannel(channel)) {
    return failure('unknown-channel', `There is no station request called ${JSON.stringify(String(channel)).slice(0, 80)}.`);
  }
  let raw: unknown;
  try {
    raw = await ipcRenderer.invoke(STATION_CALL_CHANNEL, channel, args);
  } catch {
    return failure('unavailable', 'The station is not answering. Restart keybench if this persists.');
  }
  const answer = AnswerSchema.safeParse(raw);
  if (!answer.success) return failure('internal', `The station sent a malformed answer to ${channel}.`);
  if (!answer.data.ok) return answer.data;
  const data = CHANNELS[channel].result.safeParse(answer.data.data);
  if (!data.success) return failure('internal', `The station sent a malformed answer to ${channel}.`);
  // Parsed by CHANNELS[channel].result just above; TypeScript cannot correlate that union with C.
  return { ok: true, data: data.data as ChannelResult<C> };
}

function onEvent(ipcRenderer: IpcRendererLike, listener: (event: StationEvent) => void): () => void {
  const forward: RendererListener = (_ipcEvent, payload) => {
    const parsed = StationEventSchema.safeParse(payload);
    if (parsed.success) listener(parsed.data);
  };
  ipcRenderer.on(STATION_EVENT_CHANNEL, forward);
  return () => {
    ipcRenderer.removeListener(STATION_EVENT_CHANNEL, forward);
  };
}

export function createStationApi(ipcRenderer: IpcRendererLike): StationApi {
  return Object.freeze({
    call: <C extends Channel>(channel: C, args: ChannelArgs<C>) => call(ipcRenderer, channel, args),
    onEvent: (listener: (event: StationEvent) => void) => onEvent(ipcRenderer, listener),
  });
}

export function exposeStationApi(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): void {
  contextBridge.exposeInMainWorld('station', createStationApi(ipcRenderer));
}
