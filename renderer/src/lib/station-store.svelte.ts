// The renderer's picture of the station: the snapshot, kept current by the event stream. Every request
// goes through `call`, which never throws: a broken bridge becomes an `{ok:false}` result like any other.
import type {
  Channel,
  ChannelArgs,
  ChannelResult,
  KeyTile,
  Result,
  Snapshot,
  StationApi,
  StationEvent,
  StationStatus,
} from '../../../electron/contract/index.js';
import { isSettled } from './tile-look.js';

export type Sound = Extract<StationEvent, { type: 'sound' }>['sound'];
export type NoticeLevel = Extract<StationEvent, { type: 'notice' }>['level'];
export type DocumentEvent = Extract<StationEvent, { type: 'document' }>;

/** What the rest of the page reacts to (announcements, sounds, notices); the store only reports. */
export interface StationHooks {
  tileChanged?(previous: KeyTile | undefined, next: KeyTile): void;
  tileRemoved?(tile: KeyTile): void;
  statusChanged?(previous: StationStatus | undefined, next: StationStatus): void;
  notice?(level: NoticeLevel, message: string): void;
  sound?(sound: Sound): void;
  /** Browser mode: a one-time document (a PIN mailer) is ready to download. */
  document?(event: DocumentEvent): void;
}

const byLabel = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

const UNREACHABLE = 'The station did not answer. Check that keybench is still running, then try again.';

export class StationStore {
  status = $state<StationStatus | undefined>();
  /** Sorted by port label so a key keeps its place on the bench. */
  tiles = $state<KeyTile[]>([]);
  loaded = $state(false);
  loadError = $state<string | undefined>();
  /** Bumped whenever the station says the order queue changed, so lists know to refetch. */
  ordersRevision = $state(0);
  /** Jobs that finished today, done or failed: it changes when a job finishes, and only then. */
  finishedToday = $derived((this.status?.doneToday ?? 0) + (this.status?.failedToday ?? 0));
  /** When each settled tile was first seen settled: its elapsed time stops there. */
  settledAt = $state<Record<string, number>>({});

  readonly #api: StationApi;
  readonly #hooks: StationHooks;
  /** Ports whose key was quarantined: the mark stays until the key is unplugged (bench-ux.md). */
  #quarantined = new Set<string>();
  /** Events that arrive while the first snapshot is in flight are replayed on top of it. */
  #early: StationEvent[] | undefined = [];

  constructor(api: StationApi, hooks: StationHooks = {}) {
    this.#api = api;
    this.#hooks = hooks;
  }

  /** Subscribes, loads the snapshot and returns the function that stops listening. */
  start(): () => void {
    const unsubscribe = this.#api.onEvent((event) => {
      if (this.#early) this.#early.push(event);
      else this.apply(event);
    });
    void this.reload();
    return unsubscribe;
  }

  async reload(): Promise<void> {
    const result = await this.call('station.snapshot', {});
    if (!result.ok) {
      this.loadError = result.error.message;
      return;
    }
    this.loadError = undefined;
    this.#applySnapshot(result.data);
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const event of early) this.apply(event);
    this.loaded = true;
  }

  async call<C extends Channel>(channel: C, args: ChannelArgs<C>): Promise<Result<ChannelResult<C>>> {
    try {
      return await this.#api.call(channel, args);
    } catch {
      return { ok: false, error: { code: 'unavailable', message: UNREACHABLE } };
    }
  }

  apply(event: StationEvent): void {
    switch (event.type) {
      case 'snapshot':
        this.#applySnapshot(event.snapshot);
        break;
      case 'tile':
        this.#putTile(event.tile);
        break;
      case 'tile-removed':
        this.#removeTile(event.port);
        break;
      case 'status':
        this.#setStatus(event.status);
        break;
      case 'orders-changed':
        this.ordersRevision++;
        break;
      case 'notice':
        this.#hooks.notice?.(event.level, event.message);
        break;
      case 'sound':
        this.#hooks.sound?.(event.sound);
        break;
      case 'document':
        this.#hooks.document?.(event);
        break;
    }
  }

  /** 1-based number of a tile on the bench, the one digit keys and the touch banner use. */
  keyNumber(port: string): number {
    return this.tiles.findIndex((t) => t.port === port) + 1;
  }

  #applySnapshot(snapshot: Snapshot): void {
    this.#setStatus(snapshot.status);
    const incoming = new Set(snapshot.tiles.map((t) => t.port));
    for (const tile of [...this.tiles]) if (!incoming.has(tile.port)) this.#removeTile(tile.port);
    for (const tile of snapshot.tiles) this.#putTile(tile);
  }

  #setStatus(next: StationStatus): void {
    const previous = this.status;
    this.status = next;
    this.#hooks.statusChanged?.(previous, next);
  }

  #putTile(incoming: KeyTile): void {
    if (incoming.state === 'quarantined') this.#quarantined.add(incoming.port);
    const tile: KeyTile = this.#quarantined.has(incoming.port) ? { ...incoming, state: 'quarantined', touch: 'none' } : incoming;
    const index = this.tiles.findIndex((t) => t.port === tile.port);
    const previous = index >= 0 ? $state.snapshot(this.tiles[index]) : undefined;
    if (isSettled(tile.state)) {
      if (previous?.state !== tile.state || !(tile.port in this.settledAt)) this.settledAt[tile.port] = Date.now();
    } else if (tile.port in this.settledAt) {
      delete this.settledAt[tile.port];
    }
    if (index >= 0) {
      this.tiles[index] = tile;
    } else {
      const at = this.tiles.findIndex((t) => byLabel.compare(t.label, tile.label) > 0);
      this.tiles.splice(at < 0 ? this.tiles.length : at, 0, tile);
    }
    this.#hooks.tileChanged?.(previous, tile);
  }

  #removeTile(port: string): void {
    const index = this.tiles.findIndex((t) => t.port === port);
    if (index < 0) return;
    const [removed] = this.tiles.splice(index, 1);
    delete this.settledAt[port];
    this.#quarantined.delete(port);
    if (removed) this.#hooks.tileRemoved?.($state.snapshot(removed));
  }
}
