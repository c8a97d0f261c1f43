import { describe, expect, it, vi } from 'vitest';
import { dispatch, StationRequestError } from '../../../electron/contract/index.js';
import { fakeBackend as backend } from '../helpers/fake-backend.js';

describe('dispatch', () => {
  it('answers a valid request with ok and the data', async () => {
    const b = backend({ 'orders.scan': async ({ code }) => ({ kind: 'order' as const, message: `queued ${code}` }) });
    expect(await dispatch(b, 'orders.scan', { code: ' alice@example.com ' }, vi.fn())).toEqual({ ok: true, data: { kind: 'order', message: 'queued alice@example.com' } });
  });

  it('refuses channels outside the allowlist, including inherited names', async () => {
    const b = backend({});
    for (const channel of ['shell.exec', '__proto__', 'constructor', 'toString', 42, undefined]) {
      expect(await dispatch(b, channel, {}, vi.fn())).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    }
  });

  it('refuses malformed arguments and unknown members before the handler runs', async () => {
    const handler = vi.fn();
    const b = backend({ 'jobs.retry': handler });
    expect(await dispatch(b, 'jobs.retry', { port: 5 }, vi.fn())).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await dispatch(b, 'jobs.retry', { port: 'p', extra: true }, vi.fn())).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await dispatch(b, 'orders.scan', { code: '' }, vi.fn())).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('passes a handler’s own failure through and hides unexpected ones', async () => {
    const logged = vi.fn();
    const b = backend({
      'keys.wink': async () => {
        throw new StationRequestError('not-found', 'No key in port 3.');
      },
      'keys.reset': async () => {
        throw new Error('secret-token-abc leaked in a stack');
      },
    });
    expect(await dispatch(b, 'keys.wink', { port: 'p3' }, logged)).toEqual({ ok: false, error: { code: 'not-found', message: 'No key in port 3.' } });
    const hidden = await dispatch(b, 'keys.reset', { port: 'p3' }, logged);
    expect(hidden).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(hidden)).not.toContain('secret-token-abc');
    expect(logged).toHaveBeenCalledOnce();
  });
});
