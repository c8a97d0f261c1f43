import { describe, expect, it } from 'vitest';
import { PdfRenderError, wipePdfBytes } from '../../../../electron/core/station/documents/pdf-bytes.js';
import { SAMPLE_PIN_PLACEHOLDER, pinMailerLayout, renderPinMailer, renderSampleMailer } from '../../../../electron/core/station/documents/pin-mailer.js';
import type { PinMailerInput, SampleMailerInput } from '../../../../electron/core/station/documents/pin-mailer.js';
import { inkBounds, inkCoverage, meanGrey, pdfInfo, pdfText, pdfWords, rasterise, wordsInside, wordsOutside } from '../../helpers/pdf-peer.js';
import type { GreyImage, PeerPage, PointRect } from '../../helpers/pdf-peer.js';
import { SAMPLE_PIN, sampleMailer, sampleMailerSettings } from '../../helpers/sample-documents.js';

const MM = 72 / 25.4;
const IN = 72;

// The envelope windows, written out from the standards rather than taken from the code under test.
const DIN_5008_B_WINDOW: PointRect = { x: 20 * MM, y: 45 * MM, width: 85 * MM, height: 45 * MM };
// US #10: window 4½ × 1⅛ in, ⅞ in from the left, ½ in from the bottom of a 4⅛ in envelope; a sheet folded at 3⅔ in
// can slide 0.46 in, so the window shows 2.04–3.625 in of the sheet at the extremes and 2.5–3.17 in always.
const US_10_WINDOW_ALWAYS: PointRect = { x: 0.875 * IN, y: 2.5 * IN, width: 4.5 * IN, height: (2 / 3) * IN };
const US_10_WINDOW_EVER: PointRect = { x: 0.875 * IN, y: 2.04 * IN, width: 4.5 * IN, height: 1.585 * IN };

const PIN = SAMPLE_PIN;

const mailer = sampleMailer;

interface Rendered {
  bytes: Uint8Array;
  text: string;
  page: PeerPage;
}

async function render(input: PinMailerInput): Promise<Rendered> {
  const bytes = await renderPinMailer(input);
  const [text, pages] = await Promise.all([pdfText(bytes), pdfWords(bytes)]);
  return { bytes, text, page: onlyPage(pages) };
}

// Most tests read the same A4 letter; render and extract it once to keep the file fast.
let defaultA4: Promise<Rendered> | undefined;
function renderedA4(): Promise<Rendered> {
  defaultA4 ??= render(mailer());
  return defaultA4;
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

function onlyPage(pages: PeerPage[]): PeerPage {
  expect(pages).toHaveLength(1);
  const [page] = pages;
  if (!page) throw new Error('no page');
  return page;
}

function wordText(page: PeerPage, rect: PointRect): string {
  return wordsInside(page, rect)
    .map((word) => word.text)
    .join(' ');
}

describe('PIN mailer', () => {
  it('prints one A4 page with the PIN, the recipient and the postal address', async () => {
    const { page, text } = await renderedA4();
    expect(page.width).toBeCloseTo(595.28, 0);
    expect(page.height).toBeCloseTo(841.89, 0);
    for (const line of [PIN, 'Ada Lovelace', '12 Analytical Way', 'N1 9GU London', 'UNITED KINGDOM', 'ORD-2025-0042', '23456789', 'tear here']) {
      expect(text).toContain(line);
    }
  });

  it('prints the PIN exactly once, on the slip below the tear line, inside the PIN box', async () => {
    const { page, text } = await renderedA4();
    // Whitespace removed too, so a PIN split by character spacing would still be counted.
    expect(occurrences(text.replace(/\s+/g, ''), PIN)).toBe(1);
    const layout = pinMailerLayout('a4');
    const pinWords = page.words.filter((word) => word.text === PIN);
    expect(pinWords).toHaveLength(1);
    expect(wordsOutside(pinWords, layout.pinBox)).toEqual([]);
    expect(pinWords[0]?.yMin).toBeGreaterThan(layout.perforationY);
  });

  it('puts the order id and key serial on the tear-off slip so it can be matched to the key', async () => {
    const { page } = await renderedA4();
    const layout = pinMailerLayout('a4');
    const slip = { x: 0, y: layout.perforationY, width: page.width, height: page.height - layout.perforationY };
    const slipText = wordText(page, slip);
    expect(slipText).toContain('ORD-2025-0042');
    expect(slipText).toContain('23456789');
    expect(slipText).toContain(PIN);
  });

  it('places the A4 address inside the DIN 5008 form B window and nothing else there', async () => {
    const { page } = await renderedA4();
    expect(wordText(page, DIN_5008_B_WINDOW)).toBe('Example Corp Ada Lovelace 12 Analytical Way N1 9GU London UNITED KINGDOM');
    expect(wordsOutside(wordsInside(page, DIN_5008_B_WINDOW), DIN_5008_B_WINDOW)).toEqual([]);
  });

  it('prints US Letter with the address where a #10 window shows it, and nothing else visible when the sheet slides', async () => {
    const input = mailer({
      paper: 'letter',
      recipient: { name: 'Grace Hopper', address: { street: '1 Navy Yard Rd', city: 'Arlington', state: 'VA', postalCode: '22202', country: 'USA' } },
    });
    const { page } = await render(input);
    expect(page.width).toBeCloseTo(612, 0);
    expect(page.height).toBeCloseTo(792, 0);
    const address = 'Grace Hopper 1 Navy Yard Rd Arlington, VA 22202 USA';
    expect(wordText(page, US_10_WINDOW_ALWAYS)).toBe(address);
    expect(wordsOutside(wordsInside(page, US_10_WINDOW_ALWAYS), US_10_WINDOW_ALWAYS)).toEqual([]);
    expect(wordText(page, US_10_WINDOW_EVER)).toBe(address);
  });

  it('tells the user how long the PIN must be and whether the key will force a change', async () => {
    const forced = (await renderedA4()).text.replace(/\s+/g, ' ');
    expect(forced).toContain('asks you to choose a new PIN');
    expect(forced).toContain('at least 8 characters');
    expect(forced).toContain('sign in as ada@example.com');
    expect(forced).toContain('https://example.okta.com');
    expect(forced).toMatch(/envelope arrived opened/);
    const optional = (await pdfText(await renderPinMailer(mailer({ forceChangePin: false, minPinLength: 6 })))).replace(/\s+/g, ' ');
    expect(optional).not.toContain('asks you to choose a new PIN');
    expect(optional).toContain('You may keep this PIN');
    expect(optional).toContain('at least 6 characters');
  });

  it('keeps the PIN out of the metadata and out of every uncompressed byte', async () => {
    const { bytes } = await renderedA4();
    const info = await pdfInfo(bytes);
    expect(info.Title).toBe('Security key PIN letter');
    expect(info.Producer).toBe('keybench');
    for (const value of Object.values(info)) expect(value).not.toContain(PIN);
    expect(Buffer.from(bytes).toString('latin1')).not.toContain(PIN);
  });

  it('renders byte-identical PDFs for the same input, dated by issuedAt', async () => {
    const first = (await renderedA4()).bytes;
    const second = await renderPinMailer(mailer());
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
    const later = await renderPinMailer(mailer({ issuedAt: new Date('2025-03-15T09:30:00Z') }));
    expect(Buffer.from(first).equals(Buffer.from(later))).toBe(false);
    expect((await pdfInfo(first)).CreationDate).toMatch(/Mar 14 09:30:00 2025/);
  });

  it('rasterises to a letter with ink in a normal range, a dense security pattern and a clear PIN box', async () => {
    const [image] = await rasterise((await renderedA4()).bytes, 72);
    if (!image) throw new Error('no page rendered');
    const coverage = inkCoverage(image);
    expect(coverage).toBeGreaterThan(0.04);
    expect(coverage).toBeLessThan(0.25);
    const layout = pinMailerLayout('a4');
    const patternLeftOfBox = { ...layout.securityPattern, width: layout.pinBox.x - layout.securityPattern.x };
    const body = meanGrey(image, layout.body);
    expect(body).toBeGreaterThan(200);
    // Well over half ink: hairlines (which a printer might drop) would leave it far lighter.
    expect(meanGrey(image, patternLeftOfBox)).toBeLessThan(110);
    expect(meanGrey(image, layout.pinBox)).toBeGreaterThan(200);
  });

  it('shrinks long names, addresses and URLs to stay inside the window and the page', async () => {
    const input = mailer({
      recipient: {
        name: 'Maximiliane Alexandra Theodora von Hohenzollern-Sigmaringen-Württemberg',
        email: 'maximiliane.alexandra.theodora.von.hohenzollern@subsidiary.example-enterprise.co.uk',
        address: { street: 'Großherzogin-Luise-Straße 1234, Hinterhaus, 3. Obergeschoss links', city: 'Villingen-Schwenningen im Schwarzwald', postalCode: '78048', country: 'Deutschland' },
      },
      org: { name: 'Example Enterprise Holdings International Group of Companies GmbH & Co. KG', signInUrl: 'https://example-enterprise-holdings-international.okta-emea.com/app/sign-in?from=key-letter' },
      key: { model: 'Feitian BioPass FIDO2 Pro K45 with fingerprint reader', serial: 'FT-0123456789ABCDEF0123456789' },
      orderId: 'ORD-2025-000000000000000000000000000000000042',
      pin: 'Kp7wQ3zR9mXt4vB2nH6jY8cD5fG',
    });
    const { page, text } = await render(input);
    expect(wordsOutside(page.words, { x: 0, y: 0, width: page.width, height: page.height })).toEqual([]);
    expect(wordsOutside(wordsInside(page, DIN_5008_B_WINDOW), DIN_5008_B_WINDOW)).toEqual([]);
    const windowText = wordText(page, DIN_5008_B_WINDOW);
    expect(windowText).toContain('Hohenzollern-Sigmaringen-Württemberg');
    expect(windowText).toContain('78048 Villingen-Schwenningen im Schwarzwald');
    expect(occurrences(text.replace(/\s+/g, ''), input.pin)).toBe(1);
    const layout = pinMailerLayout('a4');
    const bodyWords = page.words.filter((word) => word.yMin >= layout.body.y && word.yMax <= layout.perforationY);
    expect(wordsOutside(bodyWords, layout.body)).toEqual([]);
  });

  it('prints accented names in the standard fonts and shows other scripts as ? rather than wrong letters', async () => {
    const input = mailer({ recipient: { name: 'Zoë Łukasiewicz 李', address: { city: 'Kraków' } } });
    const text = await pdfText(await renderPinMailer(input));
    expect(text).toContain('Zoë Lukasiewicz ?');
    expect(text).toContain('Kraków');
  });

  it('refuses a PIN it cannot print exactly, without echoing the PIN', async () => {
    for (const pin of ['pässwört', '1234 5678', '123']) {
      const failure = renderPinMailer(mailer({ pin }));
      await expect(failure).rejects.toBeInstanceOf(PdfRenderError);
      await failure.catch((error: unknown) => expect(String(error)).not.toContain(pin));
    }
  });

  it('lets the caller wipe the rendered bytes', async () => {
    const bytes = await renderPinMailer(mailer());
    wipePdfBytes(bytes);
    expect(bytes.every((byte) => byte === 0)).toBe(true);
  });
});

async function renderSample(input: SampleMailerInput): Promise<Rendered> {
  const bytes = await renderSampleMailer(input);
  const [text, pages] = await Promise.all([pdfText(bytes), pdfWords(bytes)]);
  return { bytes, text, page: onlyPage(pages) };
}

let sampleA4: Promise<Rendered> | undefined;
function renderedSampleA4(): Promise<Rendered> {
  sampleA4 ??= renderSample(sampleMailerSettings());
  return sampleA4;
}

async function firstImage(bytes: Uint8Array, dpi: number): Promise<GreyImage> {
  const [image] = await rasterise(bytes, dpi);
  if (!image) throw new Error('no page rendered');
  return image;
}

/** Share of pixels in the sample mark's grey (#bbbbbb), which black text on white rarely hits. */
function greyShare(image: GreyImage, rect: PointRect): number {
  const scale = image.dpi / 72;
  let grey = 0;
  let all = 0;
  for (let y = Math.round(rect.y * scale); y < Math.round((rect.y + rect.height) * scale); y += 1) {
    for (let x = Math.round(rect.x * scale); x < Math.round((rect.x + rect.width) * scale); x += 1) {
      const pixel = image.pixels[y * image.width + x] ?? 255;
      if (pixel >= 180 && pixel <= 195) grey += 1;
      all += 1;
    }
  }
  return grey / all;
}

function grow(rect: PointRect, by: number): PointRect {
  return { x: rect.x - by, y: rect.y - by, width: rect.width + 2 * by, height: rect.height + 2 * by };
}

describe('sample mailer', () => {
  it('puts a placeholder A4 address inside the DIN 5008 window, and nothing else there', async () => {
    const { page } = await renderedSampleA4();
    expect(wordText(page, DIN_5008_B_WINDOW)).toBe('Example Corp Sample Recipient Sample Street 1 12345 Sample Town SAMPLE COUNTRY');
    expect(wordsOutside(wordsInside(page, DIN_5008_B_WINDOW), DIN_5008_B_WINDOW)).toEqual([]);
  });

  it('puts a US-style placeholder address where a #10 window shows it on Letter', async () => {
    const { page } = await renderSample(sampleMailerSettings({ paper: 'letter' }));
    expect(page.width).toBeCloseTo(612, 0);
    expect(wordText(page, US_10_WINDOW_ALWAYS)).toBe('Sample Recipient 123 Sample Street Anytown, NY 12345 USA');
    expect(wordsOutside(wordsInside(page, US_10_WINDOW_ALWAYS), US_10_WINDOW_ALWAYS)).toEqual([]);
  });

  it('says SAMPLE in the PIN box and holds no digits that could pass for a PIN on the slip', async () => {
    const { page, text } = await renderedSampleA4();
    const layout = pinMailerLayout('a4');
    expect(wordText(page, layout.pinBox)).toBe(`PIN ${SAMPLE_PIN_PLACEHOLDER}`);
    const slip = wordText(page, { x: 0, y: layout.perforationY, width: page.width, height: page.height - layout.perforationY });
    expect(slip).toContain('there is no PIN on this sheet');
    expect(slip).not.toMatch(/\d{4,}/);
    expect(text).not.toContain(SAMPLE_PIN);
    expect((await pdfInfo((await renderedSampleA4()).bytes)).Title).toBe('Sample PIN letter (no PIN)');
  });

  it('keeps the real letter text, addressed to the placeholder, under a large grey SAMPLE mark', async () => {
    const { bytes, text } = await renderedSampleA4();
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Dear Sample Recipient,');
    expect(flat).toContain('the enclosed Sample security key (serial SAMPLE)');
    expect(flat).toContain('https://example.okta.com');
    const layout = pinMailerLayout('a4');
    const [sample, real] = await Promise.all([firstImage(bytes, 100), firstImage((await renderedA4()).bytes, 100)]);
    expect(greyShare(sample, layout.body)).toBeGreaterThan(0.02);
    expect(greyShare(real, layout.body)).toBeLessThan(0.01);
  });

  it('draws the envelope window as an outline exactly where the layout puts it, on both papers', async () => {
    for (const paper of ['a4', 'letter'] as const) {
      const window = pinMailerLayout(paper).window;
      const image = await firstImage(await renderSampleMailer(sampleMailerSettings({ paper })), 150);
      const bounds = inkBounds(image, grow(window, 2));
      expect(bounds?.x).toBeCloseTo(window.x - 0.4, 0);
      expect(bounds?.y).toBeCloseTo(window.y - 0.4, 0);
      expect(bounds?.width).toBeCloseTo(window.width + 0.8, 0);
      expect(bounds?.height).toBeCloseTo(window.height + 0.8, 0);
      // Every edge carries the line, so the window shows on the sheet whichever side the address strays to.
      const edges = [
        { x: window.x, y: window.y - 1, width: window.width, height: 2 },
        { x: window.x, y: window.y + window.height - 1, width: window.width, height: 2 },
        { x: window.x - 1, y: window.y, width: 2, height: window.height },
        { x: window.x + window.width - 1, y: window.y, width: 2, height: window.height },
      ];
      for (const edge of edges) {
        expect(meanGrey(image, edge)).toBeLessThan(235);
      }
    }
  });

  it('never marks a real mailer as a sample nor outlines its window', async () => {
    const { bytes, text } = await renderedA4();
    expect(text).not.toMatch(/sample/i);
    const window = pinMailerLayout('a4').window;
    const image = await firstImage(bytes, 150);
    expect(meanGrey(image, { x: window.x - 1, y: window.y - 1, width: window.width + 2, height: 2 })).toBeGreaterThan(250);
    expect(meanGrey(image, { x: window.x - 1, y: window.y, width: 2, height: window.height })).toBeGreaterThan(250);
  });
});
