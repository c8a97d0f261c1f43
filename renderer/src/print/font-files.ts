// pdf.js fetches the files of the standard 14 fonts through this loader. When one cannot be loaded, pdf.js
// quietly draws the text with whatever system font resembles it; the loader remembers the failure so the
// print page can refuse the document instead of printing it in the wrong font.
interface FileRequest {
  kind: string;
  filename: string;
}

export interface FontFiles {
  /** What getDocument's `BinaryDataFactory` option takes: pdf.js constructs it with its URL options. */
  readonly Loader: new (urls: { standardFontDataUrl?: string | null }) => { fetch(request: FileRequest): Promise<Uint8Array> };
  /** Names of the files pdf.js asked for and did not get. */
  readonly missing: readonly string[];
}

export function fontFiles(): FontFiles {
  const missing: string[] = [];
  class Loader {
    readonly #baseUrl: string | null;

    constructor(urls: { standardFontDataUrl?: string | null }) {
      this.#baseUrl = urls.standardFontDataUrl ?? null;
    }

    async fetch({ kind, filename }: FileRequest): Promise<Uint8Array> {
      // CMaps and wasm decoders are not shipped: a document that needs them cannot be printed faithfully.
      if (kind !== 'standardFontDataUrl' || !this.#baseUrl) return fail(filename);
      try {
        const response = await fetch(`${this.#baseUrl}${filename}`);
        if (response.ok) return new Uint8Array(await response.arrayBuffer());
      } catch {
        // Unreachable or cut off: recorded below like a refusal.
      }
      return fail(filename);
    }
  }
  function fail(filename: string): never {
    missing.push(filename);
    throw new Error(`${filename} is not available`);
  }
  return { Loader, missing };
}
