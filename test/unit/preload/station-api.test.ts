import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { Channel } from '../../../electron/contract/index.js';
import { createStationApi, exposeStationApi, type IpcRendererLike } from '../../../electron/preload/station-api.js';

/** ipcRenderer as Electron delivers it: listeners get the IpcRendererEvent first, which holds the raw ipcRenderer. */
class FakeIpcRenderer extends EventEmitter implements IpcRendererLike {
  readonly invoke = vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => this.answer);
  answer: unknown = { ok: true, data: { message: 'done' } };

  push(payload: unknown): void {
    this.emit('station:event', { sender: this, senderId: 0, ports: [] }, payload);
  }
}

describe('window.station from the preload', () => {
  it('exposes exactly call and onEvent as window.station, frozen', () => {
    const exposeInMainWorld = vi.fn();
    exposeStationApi({ exposeInMainWorld }, new FakeIpcRenderer());
    expect(exposeInMainWorld).toHaveBeenCalledTimes(1);
    const [key, api] = exposeInMainWorld.mock.calls[0]!;
    expect(key).toBe('station');
    expect(Object.keys(api).sort()).toEqual(['call', 'onEvent']);
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('refuses channels outside the contract without touching IPC', async () => {
    const ipc = new FakeIpcRenderer();
    const api = createStationApi(ipc);
    for (const name of ['shell.openExternal', '__proto__', 'toString', 'station:call']) {
      expect(await api.call(name as Channel, {} as never)).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    }
    expect(ipc.invoke).not.toHaveBeenCalled();
  });

  it('sends a contract call on station:call and returns the checked answer', async () => {
    const ipc = new FakeIpcRenderer();
    const answer = await createStationApi(ipc).call('keys.wink', { port: 'usb-1' });
    expect(ipc.invoke).toHaveBeenCalledWith('station:call', 'keys.wink', { port: 'usb-1' });
    expect(answer).toEqual({ ok: true, data: { message: 'done' } });
  });

  it('passes the main side refusals through unchanged', async () => {
    const ipc = new FakeIpcRenderer();
    ipc.answer = { ok: false, error: { code: 'forbidden', message: 'no' } };
    expect(await createStationApi(ipc).call('keys.wink', { port: 'p' })).toEqual({ ok: false, error: { code: 'forbidden', message: 'no' } });
  });

  it('turns a malformed answer or a failed invoke into a result instead of throwing', async () => {
    const ipc = new FakeIpcRenderer();
    const api = createStationApi(ipc);
    ipc.answer = { ok: true, data: { message: 42 } };
    expect(await api.call('keys.wink', { port: 'p' })).toMatchObject({ ok: false, error: { code: 'internal' } });
    ipc.answer = 'surprise';
    expect(await api.call('keys.wink', { port: 'p' })).toMatchObject({ ok: false, error: { code: 'internal' } });
    ipc.invoke.mockRejectedValueOnce(new Error("No handler registered for 'station:call'"));
    expect(await api.call('keys.wink', { port: 'p' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('drops answer members the contract does not name', async () => {
    const ipc = new FakeIpcRenderer();
    ipc.answer = { ok: true, data: { message: 'done', token: 'ssws-secret' } };
    expect(await createStationApi(ipc).call('keys.wink', { port: 'p' })).toEqual({ ok: true, data: { message: 'done' } });
  });

  it('hands listeners the event alone, never the IPC event object', () => {
    const ipc = new FakeIpcRenderer();
    const listener = vi.fn();
    createStationApi(ipc).onEvent(listener);
    ipc.push({ type: 'tile-removed', port: 'usb-2' });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toEqual([{ type: 'tile-removed', port: 'usb-2' }]);
  });

  it('drops events outside the contract', () => {
    const ipc = new FakeIpcRenderer();
    const listener = vi.fn();
    createStationApi(ipc).onEvent(listener);
    ipc.push({ type: 'eval', code: 'alert(1)' });
    ipc.push(undefined);
    expect(listener).not.toHaveBeenCalled();
  });

  it('stops delivering after unsubscribe and leaves no IPC listener behind', () => {
    const ipc = new FakeIpcRenderer();
    const listener = vi.fn();
    const unsubscribe = createStationApi(ipc).onEvent(listener);
    expect(ipc.listenerCount('station:event')).toBe(1);
    unsubscribe();
    unsubscribe();
    ipc.push({ type: 'orders-changed' });
    expect(listener).not.toHaveBeenCalled();
    expect(ipc.listenerCount('station:event')).toBe(0);
  });
});
