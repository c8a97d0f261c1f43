// The print page (renderer/print.html): fetches the one-time document its fragment names, draws its pages at
// their true size, and tells the window that opened it how it went through document.title
// (electron/contract/print-page.ts). The window prints it once the title says ready.
import '../lib/zod-without-eval.js';
import { documentPathFromHash, printPageTitle, type PrintPageStatus } from '../../../electron/contract/print-page.js';
import { fetchOneTimeDocument } from './fetch-document.js';
import { setPrintedPageSize } from './page-size.js';
import { drawPdfPages } from './pdf-pages.js';
import { PrintPageError } from './print-page-error.js';
import { STANDARD_FONTS_DIR } from './standard-fonts.js';

async function printDocument(): Promise<PrintPageStatus> {
  const path = documentPathFromHash(window.location.hash);
  if (!path) {
    throw new PrintPageError('The print page was opened without a valid document link (#documents/<token>), so there is nothing to print. Print again from the station.');
  }
  const container = document.getElementById('pages');
  if (!container) throw new PrintPageError('The print page lost its #pages element (a broken build); nothing was printed.');
  const bytes = await fetchOneTimeDocument(path);
  const drawn = await drawPdfPages(bytes, container, { standardFontDataUrl: new URL(STANDARD_FONTS_DIR, document.baseURI).href });
  await setPrintedPageSize(drawn.widthPt, drawn.heightPt);
  return { state: 'ready', ...drawn };
}

function failure(error: unknown): PrintPageStatus {
  // Pages drawn before the failure are never printed; they must not linger either.
  document.getElementById('pages')?.replaceChildren();
  if (error instanceof PrintPageError) return { state: 'failed', reason: error.message };
  // Anything else is a bug; its message could quote the document, so only the fact is reported.
  return { state: 'failed', reason: 'The print page failed unexpectedly while preparing the document; nothing was printed. Print again, and report it if it repeats.' };
}

document.title = printPageTitle(await printDocument().catch(failure));
