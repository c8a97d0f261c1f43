import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { StationEvent } from '../../../electron/contract/index.js';
import { startWebBridge, type WebBridge } from '../../../electron/web/server.js';
import { connectStation, type ConnectionState, type SocketFactory, type SocketHandlers, type StationConnection } from '../../../renderer/src/lib/bridge-client.js';
import { originOf, secretOf, wsUrlOf } from './bridge-harness.js';
import { fakeBackend, SNAPSHOT } from './fake-backend.js';

/** A socket the test drives by hand: what the page sent, and buttons for what the station does. */
interface FakeSocket {
  readonly url: string;
  readonly sent: Record<string, unknown>[];
  readonly handlers: SocketHandlers;
  closedByPage: boolean;
}

function fakeSockets(): { openSocket: SocketFactory; sockets: FakeSocket[]; latest(): FakeSocket } {
  const sockets: FakeSocket[] = [];
  const openSocket: SocketFactory = (url, handlers) => {
    const socket: FakeSocket = { url, sent: [], handlers, closedByPage: false };
    sockets.push(socket);
    return {
      send: (data) => socket.sent.push(JSON.parse(data) as Record<string, unknown>),
      close: () => {
        socket.closedByPage = true;
      },
    };
  };
  return {
    openSocket,
    sockets,
    latest: () => {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket opened');
      return socket;
    },
  };
}

function accept(socket: FakeSocket): void {
  socket.handlers.open();
  socket.handlers.message(JSON.stringify({ type: 'ready' }));
}

function answer(socket: FakeSocket, id: unknown, result: unknown): void {
  socket.handlers.message(JSON.stringify({ type: 'result', id, result }));
}

const connections: StationConnection[] = [];
const bridges: WebBridge[] = [];

function connect(options: Parameters<typeof connectStation>[0]): { station: StationConnection; states: ConnectionState[] } {
  const station = connectStation({ url: 'ws://station.test/ws', session: 'secret', ...options });
  connections.push(station);
  const states: ConnectionState[] = [];
  station.onConnection((state) => states.push(state));
  return { station, states };
}

afterEach(async () => {
  vi.useRealTimers();
  for (const connection of connections.splice(0)) connection.close();
  await Promise.all(bridges.splice(0).map((bridge) => bridge.close()));
});

describe('connectStation (scripted socket)', () => {
  it('sends the hello first and holds calls until the station is ready', async () => {
    const { openSocket, latest } = fakeSockets();
    const { station, states } = connect({ openSocket });
    const pending = station.call('station.snapshot', {});
    latest().handlers.open();
    expect(latest().sent).toEqual([{ type: 'hello', session: 'secret' }]);
    latest().handlers.message(JSON.stringify({ type: 'ready' }));
    expect(latest().sent[1]).toEqual({ type: 'call', id: expect.any(Number), channel: 'station.snapshot', args: {} });
    answer(latest(), latest().sent[1]?.id, { ok: true, data: SNAPSHOT });
    expect(await pending).toEqual({ ok: true, data: SNAPSHOT });
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('resolves pending calls as unavailable when the socket drops, then reconnects with growing backoff', async () => {
    vi.useFakeTimers();
    const { openSocket, sockets, latest } = fakeSockets();
    const { station, states } = connect({ openSocket });
    accept(latest());
    const pending = station.call('keys.wink', { port: 'virtual:1' });
    latest().handlers.close(1006);
    expect(await pending).toEqual({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('Lost the connection to the station') } });
    expect(states).toEqual(['connecting', 'connected', 'disconnected']);

    const delays: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before) {
        await vi.advanceTimersByTimeAsync(50);
        waited += 50;
      }
      delays.push(waited);
      latest().handlers.close(1006);
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('starts the backoff over once a reconnection succeeds', async () => {
    vi.useFakeTimers();
    const { openSocket, sockets, latest } = fakeSockets();
    connect({ openSocket });
    latest().handlers.close(1006);
    await vi.advanceTimersByTimeAsync(250);
    latest().handlers.close(1006);
    await vi.advanceTimersByTimeAsync(500);
    accept(latest());
    latest().handlers.close(1006);
    const before = sockets.length;
    await vi.advanceTimersByTimeAsync(250);
    expect(sockets.length).toBe(before + 1);
  });

  it('replays a fresh snapshot as an event after a reconnection, not on the first connection', async () => {
    vi.useFakeTimers();
    const { openSocket, latest } = fakeSockets();
    const { station } = connect({ openSocket });
    const events: StationEvent[] = [];
    station.onEvent((event) => events.push(event));
    accept(latest());
    expect(latest().sent).toHaveLength(1);
    latest().handlers.close(1006);
    await vi.advanceTimersByTimeAsync(250);
    accept(latest());
    const resync = latest().sent[1];
    expect(resync).toMatchObject({ type: 'call', channel: 'station.snapshot' });
    answer(latest(), resync?.id, { ok: true, data: SNAPSHOT });
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual([{ type: 'snapshot', snapshot: SNAPSHOT }]);
  });

  it('stops on 4401: calls are refused, the stored session is forgotten and no retry happens', async () => {
    vi.useFakeTimers();
    const { openSocket, sockets, latest } = fakeSockets();
    const { station, states } = connect({ openSocket });
    latest().handlers.open();
    const pending = station.call('station.snapshot', {});
    latest().handlers.close(4401);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await station.call('station.snapshot', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
    expect(states.at(-1)).toBe('unauthorized');
  });

  it('delivers only events and answers that fit the contract', async () => {
    const { openSocket, latest } = fakeSockets();
    const { station } = connect({ openSocket });
    const events: StationEvent[] = [];
    station.onEvent((event) => events.push(event));
    accept(latest());
    for (const garbage of ['not json', '{"type":"event","event":{"type":"explode"}}', '{"type":"event"}', 42, '{"type":"result","id":999,"result":{"ok":true}}']) {
      latest().handlers.message(garbage);
    }
    latest().handlers.message(JSON.stringify({ type: 'event', event: { type: 'orders-changed' } }));
    expect(events).toEqual([{ type: 'orders-changed' }]);

    const bad = station.call('station.snapshot', {});
    answer(latest(), latest().sent.at(-1)?.id, { ok: true, data: { tiles: 'nope' } });
    expect(await bad).toMatchObject({ ok: false, error: { code: 'internal' } });
    const weird = station.call('station.snapshot', {});
    answer(latest(), latest().sent.at(-1)?.id, { ok: false, error: { code: 'launch-missiles', message: 'x' } });
    expect(await weird).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('never throws into the page: bad channels, unencodable args and failing listeners', async () => {
    const { openSocket, latest } = fakeSockets();
    const { station } = connect({ openSocket });
    const seen: StationEvent[] = [];
    station.onEvent(() => {
      throw new Error('listener bug');
    });
    station.onEvent((event) => seen.push(event));
    accept(latest());
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    latest().handlers.message(JSON.stringify({ type: 'event', event: { type: 'orders-changed' } }));
    expect(seen).toHaveLength(1);
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();

    // @ts-expect-error: a channel outside the contract, as a careless caller might pass.
    expect(await station.call('shell.exec', {})).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(await station.call('orders.scan', { code: 1n as unknown as string })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('reports a missing session without opening a socket', async () => {
    const { openSocket, sockets } = fakeSockets();
    const station = connectStation({ url: 'ws://station.test/ws', openSocket });
    connections.push(station);
    const states: ConnectionState[] = [];
    station.onConnection((state) => states.push(state));
    expect(states).toEqual(['unauthorized']);
    expect(sockets).toHaveLength(0);
    expect(await station.call('station.snapshot', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('close() fails what is pending, closes the socket and stops retrying', async () => {
    vi.useFakeTimers();
    const { openSocket, sockets, latest } = fakeSockets();
    const { station, states } = connect({ openSocket });
    accept(latest());
    const pending = station.call('station.snapshot', {});
    station.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(latest().closedByPage).toBe(true);
    latest().handlers.close(1000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
    expect(states.at(-1)).toBe('closed');
  });
});

describe('connectStation (real bridge)', () => {
  /** The page's socket over `ws`, with the Origin header the browser would send. */
  function nodeSockets(origin: string): SocketFactory {
    return (url, handlers) => {
      const socket = new WebSocket(url, { origin });
      socket.on('open', () => handlers.open());
      socket.on('message', (data) => handlers.message(String(data)));
      socket.on('close', (code) => handlers.close(code));
      socket.on('error', () => {});
      return { send: (data) => socket.send(data), close: (code, reason) => socket.close(code, reason) };
    };
  }

  async function bridged(overrides: Parameters<typeof fakeBackend>[0] = {}, session?: string) {
    const backend = fakeBackend(overrides);
    const bridge = await startWebBridge({ backend, onInternalError: () => {} });
    bridges.push(bridge);
    const station = connectStation({ url: wsUrlOf(bridge.url), session: session ?? secretOf(bridge.sessionUrl), openSocket: nodeSockets(originOf(bridge.url)) });
    connections.push(station);
    return { backend, bridge, station };
  }

  function reached(station: StationConnection, wanted: ConnectionState): Promise<void> {
    return new Promise((resolve) => {
      const stop = station.onConnection((state) => {
        if (state === wanted) {
          queueMicrotask(() => stop());
          resolve();
        }
      });
    });
  }

  it('calls the station and receives its events', async () => {
    const { backend, station } = await bridged();
    expect(await station.call('station.snapshot', {})).toEqual({ ok: true, data: SNAPSHOT });
    expect(await station.call('keys.wink', { port: 7 as unknown as string })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const event = new Promise<StationEvent>((resolve) => station.onEvent(resolve));
    backend.emit({ type: 'sound', sound: 'touch' });
    expect(await event).toEqual({ type: 'sound', sound: 'touch' });
  });

  it('fails a pending call as unavailable when the station stops', async () => {
    const { bridge, station } = await bridged({ 'orders.pull': () => new Promise(() => {}) });
    await reached(station, 'connected');
    const pending = station.call('orders.pull', {});
    await bridge.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('ends up unauthorized with a wrong session', async () => {
    const { station } = await bridged({}, 'not-the-secret');
    await reached(station, 'unauthorized');
    expect(await station.call('station.snapshot', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});
