// Keyboard shortcuts that live alongside a barcode scanner. The scan field takes every printable key,
// even when focus is elsewhere, so no scanned character is ever lost. A digit (1–9) or `?` typed alone
// into the empty field becomes a shortcut once nothing follows it for LONE_KEY_MS; a scanner sends its
// next character long before that, so a scanned code stays whole.
import { focusHome, isTextEntry } from './focus-home.svelte.js';

const LONE_KEY_MS = 250;
const SHORTCUT_KEY = /^[1-9?]$/;

export interface ShortcutActions {
  focusTile(keyNumber: number): void;
  cancelStep(port: string): void;
  openShortcutSheet(): void;
  /** Esc anywhere else: close whatever panel is open. */
  dismiss(): void;
}

function clearField(field: HTMLInputElement): void {
  field.value = '';
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

/** Installs the window-wide key handling; returns the function that removes it. */
export function installShortcuts(actions: ShortcutActions): () => void {
  let pending: ReturnType<typeof setTimeout> | undefined;

  const runLoneKey = (field: HTMLInputElement, key: string) => {
    pending = undefined;
    if (field.value !== key || document.activeElement !== field || focusHome.openDialogs > 0) return;
    clearField(field);
    if (key === '?') actions.openShortcutSheet();
    else actions.focusTile(Number(key));
  };

  const onKeyDown = (event: KeyboardEvent) => {
    clearTimeout(pending);
    pending = undefined;
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (focusHome.openDialogs > 0) return;
    const field = focusHome.field;
    const target = event.target instanceof Element ? event.target : null;
    if (!field || !target) return;

    if (event.key === 'Escape') {
      const port = target.closest<HTMLElement>('[data-port]')?.dataset.port;
      if (target === field && field.value) clearField(field);
      else if (port) {
        event.preventDefault();
        actions.cancelStep(port);
      } else actions.dismiss();
      return;
    }
    if (target !== field && isTextEntry(target)) return;
    // Only printable characters; Space stays with the button or checkbox that has focus.
    if (event.key.length !== 1 || (event.key === ' ' && target !== field)) return;
    if (target !== field) field.focus({ preventScroll: true });
    if (SHORTCUT_KEY.test(event.key) && field.value === '') {
      const key = event.key;
      pending = setTimeout(() => runLoneKey(field, key), LONE_KEY_MS);
    }
  };

  window.addEventListener('keydown', onKeyDown, true);
  return () => {
    clearTimeout(pending);
    window.removeEventListener('keydown', onKeyDown, true);
  };
}
