// The label stuck on a provisioned key or its bag: who it is for, which key it is, and a QR code of the order id
// so packing and returns can scan it. Two media: 62 mm continuous tape (Brother QL style; the label is as long
// as its content) and 4 × 6 in shipping labels. Text shrinks, then wraps, to stay inside the label; the QR code
// has a fixed place and size and is never clipped.
import {
  FONTS,
  PdfRenderError,
  createMeasuringDocument,
  drawPlannedText,
  inch,
  mm,
  planFittedLine,
  renderPdf,
  toWinAnsi,
} from './pdf-bytes.js';
import type { PlannedText } from './pdf-bytes.js';
import { drawQrCode } from './qr.js';
import type { QrPlacement } from './qr.js';

export type LabelSize = '62mm' | '4x6in';

export interface KeyLabelInput {
  model: string;
  serial?: string;
  user: string;
  enrollmentId?: string;
  orderId: string;
  batchId?: string;
  issuedAt: Date;
}

/** Everything placed on the label, decided before the page exists (the 62 mm label's length depends on it). */
export interface KeyLabelPlan {
  width: number;
  height: number;
  qr: QrPlacement;
  texts: PlannedText[];
}

// Long enough for any order id seen in practice; far below QR capacity so the modules stay printable.
const MAX_ORDER_ID_LENGTH = 256;

const TAPE_WIDTH = mm(62);
const TAPE_MARGIN = mm(3);
const TAPE_QR = mm(22);
// The shortest common die-cut size on 62 mm tape (62 × 29 mm); continuous tape grows beyond it.
const TAPE_MIN_HEIGHT = mm(29);

const SHIPPING_WIDTH = inch(4);
const SHIPPING_HEIGHT = inch(6);
const SHIPPING_MARGIN = mm(6);
const SHIPPING_QR = inch(2.25);
// A 7 pt caption plus a 7 pt value.
const ROW_MIN_HEIGHT = 18;

export function renderKeyLabel(input: KeyLabelInput, size: LabelSize): Promise<Uint8Array> {
  let plan: KeyLabelPlan;
  try {
    checkInput(input);
    plan = planKeyLabel(input, size);
  } catch (error) {
    return Promise.reject(error);
  }
  return renderPdf({ size: [plan.width, plan.height], title: 'Security key label', issuedAt: input.issuedAt }, (doc) => {
    for (const text of plan.texts) drawPlannedText(doc, text);
    drawQrCode(doc, input.orderId, plan.qr);
  });
}

function checkInput(input: KeyLabelInput): void {
  if (input.orderId.trim() === '') throw new PdfRenderError('The label needs an order id for its QR code.');
  if (input.orderId.length > MAX_ORDER_ID_LENGTH) {
    throw new PdfRenderError(`The order id is longer than ${MAX_ORDER_ID_LENGTH} characters, too long for a scannable label QR code.`);
  }
}

export function planKeyLabel(input: KeyLabelInput, size: LabelSize): KeyLabelPlan {
  const doc = createMeasuringDocument();
  return size === '62mm' ? planTapeLabel(doc, input) : planShippingLabel(doc, input);
}

/** The rows under the model name, in reading order; absent values are left out rather than printed empty. */
function labelFields(input: KeyLabelInput): [caption: string, value: string][] {
  const fields: [string, string | undefined][] = [
    ['User', input.user],
    ['S/N', input.serial],
    ['Enrollment', input.enrollmentId],
    ['Order', input.orderId],
    ['Batch', input.batchId],
    ['Issued', input.issuedAt.toISOString().slice(0, 10)],
  ];
  return fields.filter((field): field is [string, string] => field[1] !== undefined && field[1].trim() !== '').map(([caption, value]) => [caption, toWinAnsi(value)]);
}

/** 62 mm tape: QR on the left, text column on the right; the label is as long as the taller of the two. */
function planTapeLabel(doc: PDFKit.PDFDocument, input: KeyLabelInput): KeyLabelPlan {
  const x = TAPE_MARGIN + TAPE_QR + mm(2);
  const width = TAPE_WIDTH - x - TAPE_MARGIN;
  // Tape is continuous, so the only height limit is sanity: text wraps rather than shrinking below legibility.
  const maxHeight = mm(200);
  const texts: PlannedText[] = [];
  let y = TAPE_MARGIN;
  const model = planFittedLine(doc, toWinAnsi(input.model), { x, y, width, maxHeight }, { font: FONTS.bold, maxSize: 10, minSize: 6 });
  texts.push(model);
  y += model.height + 1;
  for (const [caption, value] of labelFields(input)) {
    const bold = caption === 'User';
    const line = planFittedLine(doc, bold ? value : `${caption} ${value}`, { x, y, width, maxHeight }, { font: bold ? FONTS.bold : FONTS.regular, maxSize: bold ? 8 : 7, minSize: 4.5 });
    texts.push(line);
    y += line.height + 0.5;
  }
  const height = Math.max(TAPE_MIN_HEIGHT, y + TAPE_MARGIN, TAPE_QR + 2 * TAPE_MARGIN);
  return { width: TAPE_WIDTH, height, qr: { x: TAPE_MARGIN, y: TAPE_MARGIN, size: TAPE_QR }, texts };
}

/** 4 × 6 in: model across the top, a large QR centred under it, then captioned rows down to the bottom margin. */
function planShippingLabel(doc: PDFKit.PDFDocument, input: KeyLabelInput): KeyLabelPlan {
  const x = SHIPPING_MARGIN;
  const width = SHIPPING_WIDTH - 2 * SHIPPING_MARGIN;
  const bottom = SHIPPING_HEIGHT - SHIPPING_MARGIN;
  const texts: PlannedText[] = [];
  let y = SHIPPING_MARGIN;
  const model = planFittedLine(doc, toWinAnsi(input.model), { x, y, width, maxHeight: mm(20) }, { font: FONTS.bold, maxSize: 22, minSize: 10, align: 'center' });
  texts.push(model);
  y += model.height + mm(2);
  const qr = { x: (SHIPPING_WIDTH - SHIPPING_QR) / 2, y, size: SHIPPING_QR };
  y += SHIPPING_QR + mm(2);
  for (const [caption, value] of labelFields(input)) {
    // A caption with no room for its value would mislead; absurdly long values above leave later rows out.
    if (bottom - y < ROW_MIN_HEIGHT) break;
    const label = planFittedLine(doc, caption.toUpperCase(), { x, y, width, maxHeight: bottom - y }, { font: FONTS.regular, maxSize: 7, minSize: 5 });
    texts.push(label);
    y += label.height;
    const line = planFittedLine(doc, value, { x, y, width, maxHeight: bottom - y }, { font: FONTS.bold, maxSize: 14, minSize: 7 });
    texts.push(line);
    y += line.height + mm(1);
  }
  return { width: SHIPPING_WIDTH, height: SHIPPING_HEIGHT, qr, texts };
}
