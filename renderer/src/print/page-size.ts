// One sheet per page, at the document's size and without margins: an @page rule added to the page's own
// stylesheet through the CSSOM, since the CSP allows neither <style> elements nor style attributes.
import { PrintPageError } from './print-page-error.js';

export async function setPrintedPageSize(widthPt: number, heightPt: number): Promise<void> {
  const sheet = await ownStyleSheet();
  sheet.insertRule(`@page { size: ${widthPt}pt ${heightPt}pt; margin: 0; }`, sheet.cssRules.length);
}

/** print.html links exactly one stylesheet; it may still be loading when the script starts. */
async function ownStyleSheet(): Promise<CSSStyleSheet> {
  if (document.styleSheets.length === 0 && document.readyState !== 'complete') {
    await new Promise((resolve) => window.addEventListener('load', resolve, { once: true }));
  }
  const sheet = document.styleSheets[0];
  if (!sheet) throw new PrintPageError('The print page lost its stylesheet (a broken build); nothing was printed.');
  return sheet;
}
