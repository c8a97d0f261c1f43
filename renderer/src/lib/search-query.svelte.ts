// The search field of a long server-side list. The field keeps every character; only the request waits for
// a pause in typing, so each keystroke does not refetch the list.
const SEARCH_DELAY_MS = 200;

export class SearchQuery {
  /** What the field holds: bind the input to it. */
  text = $state('');
  /** The trimmed text once typing paused: what the list is fetched with. */
  query = $state('');

  /** Must be created while a component initialises: the delay runs in an effect of that component. */
  constructor() {
    $effect(() => {
      const next = this.text.trim();
      const timer = setTimeout(() => (this.query = next), SEARCH_DELAY_MS);
      return () => clearTimeout(timer);
    });
  }

  /** The request's `query` field: absent while the search is empty. */
  get filter(): { query?: string } {
    return this.query ? { query: this.query } : {};
  }
}
