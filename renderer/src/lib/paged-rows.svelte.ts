// Rows of a long server-side list (orders, history), fetched a page at a time as they scroll into view.
// Only the pages asked for are kept; a new query or a change on the station starts over.
import { untrack } from 'svelte';
import type { Result } from '../../../electron/contract/index.js';

export type FetchPage<T> = (offset: number, limit: number) => Promise<Result<{ total: number; items: T[] }>>;

export class PagedRows<T> {
  total = $state(0);
  loading = $state(true);
  error = $state<string | undefined>();
  #pages = $state.raw(new Map<number, T[]>());
  #inFlight = new Set<number>();
  #generation = 0;
  readonly #fetchPage: FetchPage<T>;
  readonly #pageSize: number;

  constructor(fetchPage: FetchPage<T>, pageSize = 100) {
    this.#fetchPage = fetchPage;
    this.#pageSize = pageSize;
  }

  row(index: number): T | undefined {
    return this.#pages.get(Math.floor(index / this.#pageSize))?.[index % this.#pageSize];
  }

  /** Forgets every page (the query or the data changed) and loads the first one again. */
  reset(): void {
    this.#generation++;
    this.#inFlight.clear();
    this.#pages = new Map();
    this.loading = true;
    void this.#load(0);
  }

  /** Makes sure the rows from `first` up to (not including) `end` are loaded or on their way. */
  ensure(first: number, end: number): void {
    if (end <= first) return;
    const lastPage = Math.floor((end - 1) / this.#pageSize);
    for (let page = Math.floor(first / this.#pageSize); page <= lastPage; page++) {
      if (!this.#pages.has(page) && !this.#inFlight.has(page)) void this.#load(page);
    }
  }

  async #load(page: number): Promise<void> {
    const generation = this.#generation;
    this.#inFlight.add(page);
    // Called from effects: the request reads the caller's filters, which must not become their dependencies.
    const result = await untrack(() => this.#fetchPage(page * this.#pageSize, this.#pageSize));
    if (generation !== this.#generation) return;
    this.#inFlight.delete(page);
    this.loading = false;
    if (!result.ok) {
      this.error = result.error.message;
      return;
    }
    this.error = undefined;
    this.total = result.data.total;
    this.#pages = new Map(this.#pages).set(page, result.data.items);
  }
}
