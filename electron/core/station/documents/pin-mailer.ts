// The printed PIN mailer: a one-page letter for a window envelope, printed while the station still holds the PIN
// (the caller wipes the PIN and these bytes right after printing). The PIN appears once, on a tear-off slip,
// inside a box ringed by a dense pattern; nothing else in the document (text, metadata) carries it, and there is
// deliberately no way to print it again. A sample mailer is the same letter with no PIN and no recipient, marked as
// a sample and with the envelope window outlined, so a technician can check the printer's scaling and paper.
import { FONTS, PdfRenderError, drawFittedLine, fitFontSize, inch, mm, renderPdf, toWinAnsi } from './pdf-bytes.js';

export type MailerPaper = 'a4' | 'letter';

export interface MailerAddress {
  street?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  country?: string;
}

export interface PinMailerInput {
  pin: string;
  paper: MailerPaper;
  recipient: { name: string; email?: string; address?: MailerAddress };
  org: { name: string; signInUrl: string };
  key: { model: string; serial?: string };
  orderId: string;
  minPinLength: number;
  forceChangePin: boolean;
  issuedAt: Date;
  station?: string;
}

/** A rectangle in points, origin at the top-left of the page (pdfkit's and pdftotext's convention). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PinMailerLayout {
  page: { width: number; height: number };
  header: Rect;
  /** The part of the sheet the envelope window shows. */
  window: Rect;
  /** Sender line inside the window (A4 only: DIN 5008 puts it there; US letters put it in the header). */
  returnLine: Rect | null;
  address: Rect;
  infoBlock: Rect;
  body: Rect;
  /** Distances from the top where the sheet is folded to fit the envelope. */
  foldLines: readonly number[];
  /** The tear-off line; the PIN slip is everything below it. */
  perforationY: number;
  panelTitle: Rect;
  securityPattern: Rect;
  pinBox: Rect;
  panelFooter: Rect;
}

// PIN bytes limit of CTAP2 (clientPIN: at most 63 bytes) and its minimum length.
const PIN_MAX_BYTES = 63;
const PIN_MIN_CHARS = 4;

/**
 * Window positions, one standard per paper:
 * A4 follows DIN 5008 form B (the usual DL/C5 window envelope): window 20 mm from the left, 45 mm from the top,
 * 85 × 45 mm; its top 17.7 mm hold the sender line, the recipient starts below; folds at 105 and 210 mm.
 * Letter follows the US #10 window envelope (4⅛ × 9½ in, window 4½ × 1⅛ in, ⅞ in from the left and ½ in from
 * the bottom): a sheet tri-folded at 3⅔ in has about 0.46 in of play, so the strip the window shows in every
 * position is 2.5–3.17 in from the top of the sheet, and the address must sit inside it.
 */
export function pinMailerLayout(paper: MailerPaper): PinMailerLayout {
  return paper === 'a4' ? a4Layout() : letterLayout();
}

function a4Layout(): PinMailerLayout {
  const left = mm(25);
  const width = mm(165);
  const perforationY = mm(210);
  return {
    page: { width: mm(210), height: mm(297) },
    header: { x: left, y: mm(15), width, height: mm(25) },
    window: { x: mm(20), y: mm(45), width: mm(85), height: mm(45) },
    returnLine: { x: mm(25), y: mm(57), width: mm(75), height: mm(4) },
    address: { x: mm(25), y: mm(62.7), width: mm(75), height: mm(25) },
    infoBlock: { x: mm(125), y: mm(50), width: mm(75), height: mm(40) },
    body: { x: left, y: mm(98.5), width, height: perforationY - mm(6) - mm(98.5) },
    foldLines: [mm(105), mm(210)],
    ...panelLayout(left, width, perforationY),
  };
}

function letterLayout(): PinMailerLayout {
  const left = inch(1);
  const width = inch(6.75);
  const perforationY = inch(22 / 3);
  return {
    page: { width: inch(8.5), height: inch(11) },
    header: { x: left, y: inch(0.5), width, height: inch(1.5) },
    window: { x: inch(0.875), y: inch(2.5), width: inch(4.5), height: inch(2 / 3) },
    returnLine: null,
    address: { x: inch(1), y: inch(2.5) + 2, width: inch(4.25), height: inch(2 / 3) - 4 },
    infoBlock: { x: inch(5.5), y: inch(2.5), width: inch(2.25), height: inch(1.1) },
    // The body starts below 3.625 in: the window may show down to there when the letter rides high.
    body: { x: left, y: inch(3.75), width, height: perforationY - mm(6) - inch(3.75) },
    foldLines: [inch(11 / 3), inch(22 / 3)],
    ...panelLayout(left, width, perforationY),
  };
}

/** The tear-off slip sits on the lower fold, so tearing follows the crease. */
function panelLayout(left: number, width: number, perforationY: number) {
  const securityPattern = { x: left, y: perforationY + mm(20), width, height: mm(40) };
  const pinBox = { x: left + (width - mm(115)) / 2, y: securityPattern.y + mm(11), width: mm(115), height: mm(18) };
  return {
    perforationY,
    panelTitle: { x: left, y: perforationY + mm(6), width, height: mm(12) },
    securityPattern,
    pinBox,
    panelFooter: { x: left, y: securityPattern.y + securityPattern.height + mm(3), width, height: mm(12) },
  };
}

/** What a sample mailer takes from the station: the letter's own settings, none of a recipient, key or PIN. */
export interface SampleMailerInput {
  paper: MailerPaper;
  org: { name: string; signInUrl: string };
  minPinLength: number;
  forceChangePin: boolean;
  issuedAt: Date;
  station?: string;
}

/** What a sample prints in the PIN slot: letters only, so nobody can take it for a PIN. */
export const SAMPLE_PIN_PLACEHOLDER = 'SAMPLE';
/** The large mark across a sample's letter text. */
export const SAMPLE_MARK = 'SAMPLE — NOT A PIN';

/** Renders the mailer. The returned bytes hold the PIN: print them, then wipe them with `wipePdfBytes`. */
export function renderPinMailer(input: PinMailerInput): Promise<Uint8Array> {
  return renderMailer(input, false);
}

/**
 * Renders a sample mailer for checking a printer against a window envelope: the real letter's layout and text
 * flow with a placeholder recipient in the paper's national style, no PIN, a large SAMPLE mark, and the
 * envelope window drawn as a dashed outline the address must sit inside.
 */
export function renderSampleMailer(input: SampleMailerInput): Promise<Uint8Array> {
  return renderMailer(
    {
      ...input,
      pin: SAMPLE_PIN_PLACEHOLDER,
      recipient: { name: 'Sample Recipient', address: sampleAddress(input.paper) },
      key: { model: 'Sample', serial: 'SAMPLE' },
      orderId: 'SAMPLE',
    },
    true,
  );
}

/** A full-height address as people write it on each paper: European on A4, US on Letter. */
function sampleAddress(paper: MailerPaper): MailerAddress {
  return paper === 'a4'
    ? { street: 'Sample Street 1', postalCode: '12345', city: 'Sample Town', country: 'Sample Country' }
    : { street: '123 Sample Street', city: 'Anytown', state: 'NY', postalCode: '12345', country: 'USA' };
}

function renderMailer(input: PinMailerInput, sample: boolean): Promise<Uint8Array> {
  try {
    checkInput(input);
  } catch (error) {
    return Promise.reject(error);
  }
  const layout = pinMailerLayout(input.paper);
  const title = sample ? 'Sample PIN letter (no PIN)' : 'Security key PIN letter';
  const setup = { size: [layout.page.width, layout.page.height] as const, title, issuedAt: input.issuedAt };
  return renderPdf(setup, (doc) => {
    if (sample) drawSampleMarks(doc, layout);
    drawFoldMarks(doc, layout);
    drawHeader(doc, input, layout);
    drawAddress(doc, input, layout);
    drawInfoBlock(doc, input, layout);
    drawBody(doc, letterBlocks(input), layout.body);
    drawPerforation(doc, layout);
    drawPanel(doc, input, layout, sample);
  });
}

/** Refuses input that would print a wrong or unreadable PIN; messages never include the PIN. */
function checkInput(input: PinMailerInput): void {
  const pin = input.pin;
  if ([...pin].length < PIN_MIN_CHARS || new TextEncoder().encode(pin).length > PIN_MAX_BYTES) {
    throw new PdfRenderError(`The PIN must be ${PIN_MIN_CHARS} characters to ${PIN_MAX_BYTES} bytes long; the mailer was not printed.`);
  }
  if (!/^[\x21-\x7e]+$/.test(pin)) {
    throw new PdfRenderError('The PIN holds characters the letter font cannot print exactly (only visible ASCII); the mailer was not printed. Set a new PIN on the key.');
  }
  if (!Number.isSafeInteger(input.minPinLength) || input.minPinLength < PIN_MIN_CHARS) {
    throw new PdfRenderError(`The minimum PIN length must be a whole number of at least ${PIN_MIN_CHARS}.`);
  }
  if (input.orderId.trim() === '' || input.recipient.name.trim() === '') {
    throw new PdfRenderError('The mailer needs an order id and a recipient name.');
  }
}

const SAMPLE_MARK_ANGLE = 25;

/**
 * Drawn first, so the letter prints over the mark and stays readable. The mark stays in the body's box, clear of
 * the window, so the only words the window shows are the address's.
 */
function drawSampleMarks(doc: PDFKit.PDFDocument, layout: PinMailerLayout): void {
  const { window, body } = layout;
  doc.save().lineWidth(0.75).dash(3, { space: 2 }).strokeColor('black');
  doc.rect(window.x, window.y, window.width, window.height).stroke();
  doc.restore();
  doc.font(FONTS.regular).fontSize(6.5).fillColor('black');
  doc.text('Envelope window: the address must sit inside this dashed outline.', window.x, window.y + window.height + 4, { width: window.width, lineBreak: false });

  const radians = (SAMPLE_MARK_ANGLE * Math.PI) / 180;
  doc.font(FONTS.bold).fontSize(1);
  const widthPerPoint = doc.widthOfString(SAMPLE_MARK);
  const heightPerPoint = doc.currentLineHeight();
  // The rotated line's bounding box must fit 90 % of the body box.
  const size = Math.min(
    (body.width * 0.9) / (widthPerPoint * Math.cos(radians) + heightPerPoint * Math.sin(radians)),
    (body.height * 0.9) / (widthPerPoint * Math.sin(radians) + heightPerPoint * Math.cos(radians)),
  );
  const centre = { x: body.x + body.width / 2, y: body.y + body.height / 2 };
  doc.save().rotate(-SAMPLE_MARK_ANGLE, { origin: [centre.x, centre.y] });
  doc.fontSize(size).fillColor('#bbbbbb');
  doc.text(SAMPLE_MARK, centre.x - (widthPerPoint * size) / 2, centre.y - (heightPerPoint * size) / 2, { lineBreak: false });
  doc.restore();
  doc.fillColor('black');
}

function drawFoldMarks(doc: PDFKit.PDFDocument, layout: PinMailerLayout): void {
  doc.save().lineWidth(0.5).strokeColor('#666666');
  for (const y of layout.foldLines) doc.moveTo(mm(4), y).lineTo(mm(9), y).stroke();
  doc.restore();
}

function drawHeader(doc: PDFKit.PDFDocument, input: PinMailerInput, layout: PinMailerLayout): void {
  const { header } = layout;
  const used = drawFittedLine(doc, toWinAnsi(input.org.name), { ...header, maxHeight: mm(12) }, { font: FONTS.bold, maxSize: 16, minSize: 9 });
  doc.font(FONTS.regular).fontSize(9).fillColor('#444444');
  doc.text('Security key delivery - personal and confidential', header.x, header.y + used + 3, { width: header.width, lineBreak: false });
  doc.fillColor('black');
}

function drawAddress(doc: PDFKit.PDFDocument, input: PinMailerInput, layout: PinMailerLayout): void {
  if (layout.returnLine) {
    const line = layout.returnLine;
    drawFittedLine(doc, toWinAnsi(input.org.name), { ...line, maxHeight: line.height }, { font: FONTS.regular, maxSize: 7, minSize: 5 });
  }
  const lines = addressLines(input.recipient);
  const box = layout.address;
  const lineHeightEm = 1.2;
  const sizeForHeight = box.height / (lines.length * lineHeightEm);
  const size = Math.min(sizeForHeight, fitFontSize(doc, lines, box.width, { font: FONTS.regular, maxSize: 10, minSize: 5 }));
  doc.font(FONTS.regular).fontSize(size);
  lines.forEach((line, index) => {
    doc.text(line, box.x, box.y + index * size * lineHeightEm, { width: box.width, height: size * lineHeightEm, lineBreak: false });
  });
}

/**
 * Postal lines: name, street lines, city line, country in capitals on the last line (UPU practice). With a state
 * the city line is US style ("City, ST 12345"), otherwise European ("12345 City").
 */
export function addressLines(recipient: PinMailerInput['recipient']): string[] {
  const address = recipient.address ?? {};
  const streetLines = (address.street ?? '').split(/\r?\n/);
  const cityLine = address.state
    ? [address.city, [address.state, address.postalCode].filter(isPresent).join(' ')].filter(isPresent).join(', ')
    : [address.postalCode, address.city].filter(isPresent).join(' ');
  const lines = [recipient.name, ...streetLines, cityLine, address.country?.toUpperCase()];
  return lines.filter(isPresent).map((line) => toWinAnsi(line.trim()));
}

function isPresent(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function drawInfoBlock(doc: PDFKit.PDFDocument, input: PinMailerInput, layout: PinMailerLayout): void {
  const rows: [string, string][] = [
    ['Date', isoDate(input.issuedAt)],
    ['Order', input.orderId],
    ['Key', input.key.model],
    ['Serial', input.key.serial ?? 'not reported'],
  ];
  if (input.station) rows.push(['Station', input.station]);
  const box = layout.infoBlock;
  const labelWidth = 34;
  const rowHeight = Math.min(12, box.height / rows.length);
  rows.forEach(([label, value], index) => {
    const y = box.y + index * rowHeight;
    doc.font(FONTS.bold).fontSize(7.5).text(label, box.x, y + 1, { width: labelWidth, lineBreak: false });
    drawFittedLine(doc, toWinAnsi(value), { x: box.x + labelWidth, y, width: box.width - labelWidth, maxHeight: rowHeight }, { font: FONTS.regular, maxSize: 9, minSize: 5 });
  });
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

interface BodyBlock {
  style: 'subject' | 'heading' | 'paragraph';
  text: string;
}

/** What the recipient reads: what the key is, first sign-in, the PIN rules, and what to do when things go wrong. */
function letterBlocks(input: PinMailerInput): BodyBlock[] {
  const org = toWinAnsi(input.org.name);
  const model = toWinAnsi(input.key.model);
  const serial = input.key.serial ? ` (serial ${toWinAnsi(input.key.serial)})` : '';
  const account = input.recipient.email ? `as ${toWinAnsi(input.recipient.email)}` : 'with your usual username';
  const pinRule = `at least ${input.minPinLength} characters long`;
  const pinChange = input.forceChangePin
    ? `4. The key then asks you to choose a new PIN before you can use it. Pick one you can remember, ${pinRule}, and do not write it down.`
    : `4. You may keep this PIN or change it later; a new PIN must be ${pinRule}.`;
  return [
    { style: 'subject', text: 'Your security key and its PIN' },
    { style: 'paragraph', text: `Dear ${toWinAnsi(input.recipient.name)},` },
    {
      style: 'paragraph',
      text: `${org} has prepared the enclosed ${model} security key${serial} for you. The key replaces your password: you sign in by inserting the key, entering its PIN and touching the key. The PIN is on the slip at the bottom of this letter.`,
    },
    { style: 'heading', text: 'Signing in for the first time' },
    {
      style: 'paragraph',
      text: `1. Go to ${toWinAnsi(input.org.signInUrl)} and sign in ${account}.\n2. When asked for a security key, insert the key and enter the PIN from the slip.\n3. Touch the key when it blinks.\n${pinChange}`,
    },
    { style: 'heading', text: 'Keep the PIN safe' },
    {
      style: 'paragraph',
      text: 'Tear off the slip along the dashed line, learn the PIN and destroy the slip. Never keep the PIN with the key. The PIN was printed once and is not stored anywhere, so nobody can send it to you again. Too many wrong PINs lock the key.',
    },
    { style: 'heading', text: 'If something is wrong' },
    {
      style: 'paragraph',
      text: `If this envelope arrived opened or damaged, or the slip is missing, do not use the key: contact ${org} IT support for a replacement. If you lose the key, report it at once so it can be disabled.`,
    },
  ];
}

const BODY_MAX_SIZE = 10;
const BODY_MIN_SIZE = 7;

/** Shrinks the letter text until it fits above the slip rather than spilling onto it (long names, URLs). */
function drawBody(doc: PDFKit.PDFDocument, blocks: readonly BodyBlock[], box: Rect): void {
  let size = BODY_MAX_SIZE;
  while (size > BODY_MIN_SIZE && bodyHeight(doc, blocks, box.width, size) > box.height) size -= 0.25;
  let y = box.y;
  for (const block of blocks) {
    const style = blockStyle(block.style, size);
    y += style.gapBefore;
    doc.font(style.font).fontSize(style.size);
    const options = { width: box.width, lineGap: style.size * 0.25, height: Math.max(0, box.y + box.height - y) };
    const height = doc.heightOfString(block.text, options);
    doc.text(block.text, box.x, y, options);
    y += height + style.gapAfter;
  }
}

function bodyHeight(doc: PDFKit.PDFDocument, blocks: readonly BodyBlock[], width: number, size: number): number {
  return blocks.reduce((sum, block) => {
    const style = blockStyle(block.style, size);
    doc.font(style.font).fontSize(style.size);
    return sum + style.gapBefore + doc.heightOfString(block.text, { width, lineGap: style.size * 0.25 }) + style.gapAfter;
  }, 0);
}

function blockStyle(style: BodyBlock['style'], size: number) {
  switch (style) {
    case 'subject':
      return { font: FONTS.bold, size: size + 3, gapBefore: 0, gapAfter: size * 0.8 };
    case 'heading':
      return { font: FONTS.bold, size: size + 0.5, gapBefore: size * 0.4, gapAfter: size * 0.2 };
    case 'paragraph':
      return { font: FONTS.regular, size, gapBefore: 0, gapAfter: size * 0.5 };
  }
}

function drawPerforation(doc: PDFKit.PDFDocument, layout: PinMailerLayout): void {
  const y = layout.perforationY;
  doc.save().lineWidth(0.75).dash(4, { space: 3 }).strokeColor('black');
  doc.moveTo(0, y).lineTo(layout.page.width, y).stroke();
  doc.restore();
  const caption = 'tear here';
  doc.font(FONTS.regular).fontSize(7);
  const width = doc.widthOfString(caption) + 8;
  const x = (layout.page.width - width) / 2;
  doc.rect(x, y - 5, width, 10).fill('white');
  doc.fillColor('black').text(caption, x, y - 3.5, { width, align: 'center', lineBreak: false });
}

function drawPanel(doc: PDFKit.PDFDocument, input: PinMailerInput, layout: PinMailerLayout, sample: boolean): void {
  const title = layout.panelTitle;
  const heading = sample ? 'SAMPLE slip — there is no PIN on this sheet' : 'PIN for your security key';
  doc.font(FONTS.bold).fontSize(11).text(heading, title.x, title.y, { width: title.width, lineBreak: false });
  const match = `Order ${input.orderId}    Key ${input.key.model}    Serial ${input.key.serial ?? 'not reported'}`;
  drawFittedLine(doc, toWinAnsi(match), { x: title.x, y: title.y + 15, width: title.width, maxHeight: title.height - 15 }, { font: FONTS.regular, maxSize: 8.5, minSize: 5 });
  drawSecurityPattern(doc, layout.securityPattern);
  drawPinBox(doc, input.pin, layout.pinBox);
  const footer = layout.panelFooter;
  doc.font(FONTS.regular).fontSize(7.5).text(
    'Learn the PIN, then destroy this slip. Keep it apart from the key. This PIN cannot be printed or sent again.',
    footer.x,
    footer.y,
    { width: footer.width, height: footer.height },
  );
}

/**
 * Two crossed sets of fine diagonal lines: against light shining through the envelope the PIN's strokes drown
 * in the pattern's. Vector lines, so every printer reproduces the density.
 */
function drawSecurityPattern(doc: PDFKit.PDFDocument, area: Rect): void {
  const pitch = 2.2;
  doc.save();
  doc.rect(area.x, area.y, area.width, area.height).clip();
  doc.lineWidth(0.6).strokeColor('black');
  for (let offset = -area.height; offset < area.width; offset += pitch) {
    doc.moveTo(area.x + offset, area.y).lineTo(area.x + offset + area.height, area.y + area.height);
    doc.moveTo(area.x + offset, area.y + area.height).lineTo(area.x + offset + area.height, area.y);
  }
  doc.stroke();
  doc.restore();
}

/** The PIN alone in a clear box, large Courier with wide spacing so 0/O and 1/l read apart. */
function drawPinBox(doc: PDFKit.PDFDocument, pin: string, box: Rect): void {
  doc.save();
  doc.rect(box.x, box.y, box.width, box.height).fillAndStroke('white', 'black');
  doc.restore();
  doc.font(FONTS.bold).fontSize(6.5).fillColor('black').text('PIN', box.x + 4, box.y + 3, { lineBreak: false });
  const spacingEm = 0.35;
  const inner = { x: box.x + mm(8), width: box.width - mm(16) };
  const size = fitFontSize(doc, [pin], inner.width, { font: FONTS.mono, maxSize: 26, minSize: 10, characterSpacingEm: spacingEm });
  const options = { width: inner.width, align: 'center' as const, characterSpacing: size * spacingEm, height: box.height - 4 };
  doc.font(FONTS.mono).fontSize(size);
  const height = doc.heightOfString(pin, options);
  doc.text(pin, inner.x, box.y + Math.max(2, (box.height - height) / 2), options);
}
