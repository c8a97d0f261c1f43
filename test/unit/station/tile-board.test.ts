import { describe, it, expect } from 'vitest';
import { KEY_PULLED_FAILURE, TileBoard } from '../../../electron/core/station/tile-board.js';
import type { KeyView } from '../../../electron/core/station/engine.js';
import { KEY_REMOVED_MESSAGE } from '../../../electron/core/station/provisioning-errors.js';

const PORT = 'virtual:1';
const key = (status: KeyView['status']): KeyView => ({ path: PORT, kind: 'virtual', status });

function boardWithRunningJob(): TileBoard {
  const board = new TileBoard(() => ({ user: 'alice@example.com' }));
  board.apply({ type: 'key-added', key: key('ready') });
  board.apply({ type: 'job-started', jobId: 'job-1', orderId: 'order-1', keyPath: PORT });
  board.apply({ type: 'job-step', jobId: 'job-1', keyPath: PORT, step: 'pin-set', percent: 50 });
  return board;
}

describe('TileBoard: a key pulled', () => {
  it('mid-job keeps a failed tile that says so, even after the engine reports the job failed', () => {
    const board = boardWithRunningJob();
    const pulled = board.apply({ type: 'key-removed', keyPath: PORT });
    expect(pulled.removed).toEqual([]);
    board.apply({
      type: 'job-failed',
      jobId: 'job-1',
      orderId: 'order-1',
      keyPath: PORT,
      error: { code: 'key-removed', message: KEY_REMOVED_MESSAGE, retryable: true },
      cleanupPending: false,
    });
    const tile = board.tile(PORT);
    expect(tile?.state).toBe('failed');
    expect(tile?.failure?.message).toBe('The key was removed in the middle of provisioning.');
    expect(tile?.failure).toEqual(KEY_PULLED_FAILURE);
    expect(tile?.order?.user).toBe('alice@example.com');
    expect(board.orderOf(PORT)).toBe('order-1');
    expect(board.isKeyGone(PORT)).toBe(true);
  });

  it('mid-job, when the job reports the removal before discovery does, still keeps the tile', () => {
    const board = boardWithRunningJob();
    board.apply({
      type: 'job-failed',
      jobId: 'job-1',
      orderId: 'order-1',
      keyPath: PORT,
      error: { code: 'key-removed', message: KEY_REMOVED_MESSAGE, retryable: true },
      cleanupPending: false,
    });
    expect(board.apply({ type: 'key-removed', keyPath: PORT }).removed).toEqual([]);
    expect(board.tile(PORT)).toMatchObject({ state: 'failed', failure: KEY_PULLED_FAILURE, order: { user: 'alice@example.com' } });
  });

  it('after a failure of another cause just clears its port', () => {
    const board = boardWithRunningJob();
    board.apply({ type: 'job-failed', jobId: 'job-1', orderId: 'order-1', keyPath: PORT, error: { code: 'okta', message: 'Okta said no.', retryable: true }, cleanupPending: false });
    expect(board.apply({ type: 'key-removed', keyPath: PORT }).removed).toEqual([PORT]);
  });

  it('mid-job: Dismiss clears the tile', () => {
    const board = boardWithRunningJob();
    board.apply({ type: 'key-removed', keyPath: PORT });
    expect(board.dismiss(PORT)).toBe(true);
    expect(board.tiles()).toEqual([]);
  });

  it('mid-job: a new key in that port replaces the explanation with a normal tile', () => {
    const board = boardWithRunningJob();
    board.apply({ type: 'key-removed', keyPath: PORT });
    const { changed } = board.apply({ type: 'key-added', key: key('checking') });
    expect(changed[0]?.state).toBe('checking');
    expect(changed[0]?.failure).toBeUndefined();
    expect(changed[0]?.order).toBeUndefined();
    expect(board.isKeyGone(PORT)).toBe(false);
    expect(board.dismiss(PORT)).toBe(false);
  });

  it('while idle just clears its port', () => {
    const board = new TileBoard(() => undefined);
    board.apply({ type: 'key-added', key: key('ready') });
    expect(board.apply({ type: 'key-removed', keyPath: PORT }).removed).toEqual([PORT]);
    expect(board.tiles()).toEqual([]);
  });

  it('once done just clears its port', () => {
    const board = boardWithRunningJob();
    board.apply({ type: 'job-done', jobId: 'job-1', orderId: 'order-1', keyPath: PORT });
    expect(board.apply({ type: 'key-removed', keyPath: PORT }).removed).toEqual([PORT]);
    expect(board.tile(PORT)).toBeUndefined();
  });

  it('a tile whose key is still in cannot be dismissed', () => {
    const board = boardWithRunningJob();
    expect(board.dismiss(PORT)).toBe(false);
    expect(board.tile(PORT)?.state).toBe('creating-credential');
  });
});

describe('TileBoard: programmed offline', () => {
  it('shows the key as awaiting activation, not done', () => {
    const board = boardWithRunningJob();
    board.apply({ type: 'job-awaiting-activation', jobId: 'job-1', orderId: 'order-1', keyPath: PORT, expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    expect(board.tile(PORT)).toMatchObject({ state: 'awaiting-activation', progress: 1, touch: 'none' });
  });
});

describe('TileBoard: a job resumed after a restart', () => {
  it('names the order again on the key that runs it', () => {
    const board = new TileBoard(() => ({ user: 'alice@example.com' }));
    board.apply({ type: 'key-added', key: key('busy') });
    expect(board.resumed(PORT, 'order-1')).toMatchObject({ state: 'enrolling', step: 'Resuming after a restart', order: { orderId: 'order-1', user: 'alice@example.com' } });
    board.apply({ type: 'job-done', jobId: 'job-1', orderId: 'order-1', keyPath: PORT });
    expect(board.tile(PORT)).toMatchObject({ state: 'done', order: { user: 'alice@example.com' } });
  });
});
