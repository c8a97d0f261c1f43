// Short messages in the corner: station notices and the answers to buttons pressed away from a form.
// Errors stay until dismissed; everything else fades after a few seconds.
import { announcer } from './announcer.svelte.js';
import type { NoticeLevel } from './station-store.svelte.js';

export interface Notice {
  id: number;
  level: NoticeLevel;
  message: string;
}

const SHOWN_MS = 6000;
const MAX_SHOWN = 4;

class Notices {
  items = $state<Notice[]>([]);
  #nextId = 1;

  push(level: NoticeLevel, message: string): void {
    const id = this.#nextId++;
    this.items = [...this.items, { id, level, message }].slice(-MAX_SHOWN);
    announcer.say(message, level === 'error');
    if (level !== 'error') setTimeout(() => this.dismiss(id), SHOWN_MS);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }
}

export const notices = new Notices();
