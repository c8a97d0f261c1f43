// Focus rests in the scan field whenever no dialog is open: a scanner is a keyboard, and a scan that
// lands anywhere else is lost.
class FocusHome {
  openDialogs = $state(0);
  #field: HTMLInputElement | undefined;

  get field(): HTMLInputElement | undefined {
    return this.#field?.isConnected ? this.#field : undefined;
  }

  register(field: HTMLInputElement): () => void {
    this.#field = field;
    return () => {
      if (this.#field === field) this.#field = undefined;
    };
  }

  /** Puts focus back in the scan field, unless a dialog holds it. */
  rest(): void {
    if (this.openDialogs === 0) this.field?.focus({ preventScroll: true });
  }
}

export const focusHome = new FocusHome();

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'email', 'url', 'password', 'number', 'tel']);

/** Fields where the technician types on purpose; focus is never pulled out of them. */
export function isTextEntry(element: Element | null): boolean {
  if (!element) return false;
  if (element instanceof HTMLInputElement) return TEXT_INPUT_TYPES.has(element.type);
  return element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement || (element instanceof HTMLElement && element.isContentEditable);
}
