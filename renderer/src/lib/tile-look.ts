// How each tile state looks: colour (tone) AND icon AND word, so no state is told by colour alone.
import type { KeyTile, TileState } from '../../../electron/contract/index.js';

export type Tone = 'neutral' | 'working' | 'attention' | 'success' | 'warning' | 'danger' | 'quarantine';
export type IconName = 'search' | 'plug' | 'reset' | 'block' | 'hourglass' | 'gear' | 'key' | 'hand' | 'shield' | 'check' | 'send' | 'cross' | 'lock';

export interface TileLook {
  word: string;
  icon: IconName;
  tone: Tone;
}

export const TILE_LOOK: Record<TileState, TileLook> = {
  checking: { word: 'Checking', icon: 'search', tone: 'neutral' },
  ready: { word: 'Ready', icon: 'plug', tone: 'neutral' },
  'needs-reset': { word: 'Needs reset', icon: 'reset', tone: 'warning' },
  'not-supported': { word: 'Not supported', icon: 'block', tone: 'warning' },
  'waiting-order': { word: 'Waiting for order', icon: 'hourglass', tone: 'neutral' },
  enrolling: { word: 'Enrolling', icon: 'gear', tone: 'working' },
  'setting-pin': { word: 'Setting PIN', icon: 'key', tone: 'working' },
  touch: { word: 'Touch', icon: 'hand', tone: 'attention' },
  'creating-credential': { word: 'Creating credential', icon: 'key', tone: 'working' },
  verifying: { word: 'Verifying', icon: 'shield', tone: 'working' },
  activating: { word: 'Activating', icon: 'gear', tone: 'working' },
  delivering: { word: 'Sending PIN', icon: 'send', tone: 'working' },
  done: { word: 'Done — remove key', icon: 'check', tone: 'success' },
  'awaiting-activation': { word: 'Awaiting activation', icon: 'hourglass', tone: 'success' },
  failed: { word: 'Failed', icon: 'cross', tone: 'danger' },
  quarantined: { word: 'Quarantined', icon: 'lock', tone: 'quarantine' },
};

/** A key waiting for its turn to be touched reads differently from the one being asked now. */
export function lookOf(tile: KeyTile): TileLook {
  if (tile.touch === 'now') return { word: 'Touch now', icon: 'hand', tone: 'attention' };
  if (tile.touch === 'waiting') return { word: 'Waiting to be touched', icon: 'hourglass', tone: 'working' };
  return TILE_LOOK[tile.state];
}

/** States after which the job no longer runs, so the elapsed time stops. */
export function isSettled(state: TileState): boolean {
  return state === 'done' || state === 'awaiting-activation' || state === 'failed' || state === 'quarantined' || state === 'not-supported';
}
