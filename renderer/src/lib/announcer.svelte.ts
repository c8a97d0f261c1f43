// Status changes for screen readers: the live regions in LiveRegion.svelte read these two strings.
// Repeating the same text would not be announced again, so each message alternates a trailing space.
class Announcer {
  polite = $state('');
  assertive = $state('');
  #flip = false;

  say(message: string, urgent = false): void {
    this.#flip = !this.#flip;
    const text = this.#flip ? message : `${message} `;
    if (urgent) this.assertive = text;
    else this.polite = text;
  }
}

export const announcer = new Announcer();
