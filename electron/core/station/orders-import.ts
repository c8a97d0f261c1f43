// Reads an order file (CSV exported from a spreadsheet, or JSON) into orders the engine can queue. A bad row
// never sinks the file: it is reported with its line number and a fix, and every good row is kept. Line numbers
// are the ones a spreadsheet shows: the header is line 1, a blank row is a line, and a value that spans several
// text lines (a quoted note with line breaks) is still one line.
import { z } from 'zod';
import { normalizeColumnName, readCsvLines } from './csv-lines.js';
import { lineAt, orderListElementLines } from './json-element-lines.js';

export const DELIVERY_METHODS = ['email', 'print', 'both', 'hold'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

export interface OrderInput {
  /** Login, email or Okta user id. */
  user: string;
  orderId?: string;
  delivery?: DeliveryMethod;
  label?: string;
  note?: string;
}

export type ImportedOrder = OrderInput & { line: number };
export interface OrderImportError {
  line: number;
  message: string;
}
export interface OrderImportResult {
  orders: ImportedOrder[];
  errors: OrderImportError[];
}
export type OrderFileFormat = 'csv' | 'json';

/** Column (or JSON key) names, compared without case, spaces, '-' or '_'; anything else is ignored. */
const USER_NAMES = ['user', 'userid', 'login', 'email'];
const KNOWN_NAMES = new Set([...USER_NAMES, 'orderid', 'order', 'delivery', 'label', 'note', 'notes']);
const MAX_USER_LENGTH = 256;

type Fields = ReadonlyMap<string, string>;

export function parseOrders(text: string, format: OrderFileFormat = sniffFormat(text)): OrderImportResult {
  const content = text.replace(/^\uFEFF/, '');
  if (content.trim() === '') {
    return {
      orders: [],
      errors: [{ line: 1, message: 'The file is empty. Export the orders with a header row (user, orderId, delivery, label, note) and one order per row.' }],
    };
  }
  return format === 'json' ? parseJson(content) : parseCsv(content);
}

/** JSON when the first visible character opens an array or object, CSV otherwise. */
export function sniffFormat(text: string): OrderFileFormat {
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '[' || first === '{' ? 'json' : 'csv';
}

function parseCsv(text: string): OrderImportResult {
  const { records, unreadable } = readCsvLines(text);

  const collector = new OrderCollector();
  const headerIndex = records.findIndex((record) => !isBlank(record));
  if (headerIndex === -1) {
    if (unreadable) collector.errors.push(unreadable);
    return collector.result();
  }
  const header = (records[headerIndex] ?? []).map(normalizeColumnName);
  if (!header.some((name) => USER_NAMES.includes(name))) {
    const found = header.filter((name) => name !== '').join(', ') || 'nothing';
    collector.errors.push({
      line: headerIndex + 1,
      message: `The header row has no user column (found: ${shown(found)}). Make line ${headerIndex + 1} the header and name the column that holds the person "user", "login", "email" or "userId".`,
    });
    return collector.result();
  }

  for (let index = headerIndex + 1; index < records.length; index++) {
    const record = records[index] ?? [];
    if (isBlank(record)) continue;
    const fields = new Map<string, string>();
    header.forEach((name, column) => {
      const value = record[column];
      if (KNOWN_NAMES.has(name) && value !== undefined && !fields.has(name)) fields.set(name, value);
    });
    const extra = record.slice(header.length).filter((value) => value.trim() !== '');
    const problems =
      extra.length > 0
        ? [`This row has ${header.length + extra.length} values but the header has ${header.length} columns. A value probably contains a comma: put that value in double quotes, or remove the extra value.`]
        : [];
    collector.add(index + 1, fields, problems);
  }
  if (unreadable) collector.errors.push(unreadable);
  return collector.result();
}

function isBlank(record: string[]): boolean {
  return record.every((value) => value.trim() === '');
}

const OrderListSchema = z.union([z.array(z.unknown()), z.looseObject({ orders: z.array(z.unknown()) })]);

function parseJson(text: string): OrderImportResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const line = jsonErrorLine(text, error);
    return {
      orders: [],
      errors: [{ line, message: `The JSON is broken on or just before this line, so no order in the file was read. Fix it in a text editor (look for a missing comma, quote or bracket), or export the orders as CSV.` }],
    };
  }
  const list = OrderListSchema.safeParse(data);
  if (!list.success) {
    return {
      orders: [],
      errors: [{ line: 1, message: 'The JSON file must hold a list of orders, [{"user": "…", "orderId": "…"}, …], or an object {"orders": [ … ]}.' }],
    };
  }
  const items = Array.isArray(list.data) ? list.data : list.data.orders;
  const lines = orderListElementLines(text);
  const collector = new OrderCollector();
  items.forEach((item, index) => {
    const line = lines[index] ?? 1;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      collector.errors.push({ line, message: 'This entry is not an order. Write each order as an object: {"user": "…", "orderId": "…", "delivery": "email"}.' });
      return;
    }
    const fields = new Map<string, string>();
    const problems: string[] = [];
    for (const [key, value] of Object.entries(item)) {
      const name = normalizeColumnName(key);
      if (!KNOWN_NAMES.has(name) || fields.has(name) || value === null) continue;
      if (typeof value === 'string') fields.set(name, value);
      else if (typeof value === 'number' && Number.isFinite(value)) fields.set(name, String(value));
      else problems.push(`"${key}" must be text, not ${Array.isArray(value) ? 'a list' : typeof value}; put the value in double quotes.`);
    }
    collector.add(line, fields, problems);
  });
  return collector.result();
}

/** V8 reports "at position N" for most syntax errors and nothing for some; the end of input is the last line. */
function jsonErrorLine(text: string, error: SyntaxError): number {
  const position = /position (\d+)/.exec(error.message)?.[1];
  if (position !== undefined) return lineAt(text, Number(position));
  if (/end of JSON input/.test(error.message)) return lineAt(text, text.trimEnd().length);
  return 1;
}

/** Turns rows into orders, checks each field, and reports rows that repeat an earlier good row. */
class OrderCollector {
  readonly orders: ImportedOrder[] = [];
  readonly errors: OrderImportError[] = [];
  readonly #seen = new Map<string, number>();

  add(line: number, fields: Fields, problems: string[]): void {
    const checked = checkOrder(fields);
    const order = checked.order;
    if (problems.length > 0 || order === undefined) {
      this.errors.push({ line, message: [...problems, ...checked.problems].join(' ') });
      return;
    }
    const identity = order.orderId !== undefined ? `order\u0000${order.orderId.toLowerCase()}` : `user\u0000${order.user.toLowerCase()}\u0000${order.label ?? ''}`;
    const earlier = this.#seen.get(identity);
    if (earlier !== undefined) {
      const same = order.orderId !== undefined ? `the same orderId ${shown(order.orderId)}` : `the same user ${shown(order.user)} with no orderId`;
      this.errors.push({
        line,
        message: `This order repeats line ${earlier} (${same}). Delete one of the two rows; if the person should get a second key, give each row its own orderId or label.`,
      });
      return;
    }
    this.#seen.set(identity, line);
    this.orders.push({ ...order, line });
  }

  result(): OrderImportResult {
    return { orders: this.orders, errors: this.errors.sort((a, b) => a.line - b.line) };
  }
}

/** The order in a row's fields, or what is wrong with them and how to fix it. */
function checkOrder(fields: Fields): { order?: OrderInput; problems: string[] } {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = fields.get(name)?.trim();
    return value === '' ? undefined : value;
  };
  const user = USER_NAMES.map(text).find((value) => value !== undefined);
  if (user === undefined) {
    problems.push("The user is missing. Fill in the person's login, email or Okta user id.");
  } else if (/[\s\p{Cc}]/u.test(user)) {
    problems.push(`The user ${shown(user)} contains a space or an invisible character. Use the person's login, email or Okta user id exactly, with no spaces.`);
  } else if (user.length > MAX_USER_LENGTH) {
    problems.push(`The user is longer than ${MAX_USER_LENGTH} characters. Use the person's login, email or Okta user id.`);
  }
  const deliveryText = text('delivery')?.toLowerCase();
  const delivery = DELIVERY_METHODS.find((method) => method === deliveryText);
  if (deliveryText !== undefined && delivery === undefined) {
    problems.push(`The delivery ${shown(deliveryText)} is not one of ${DELIVERY_METHODS.join(', ')}. Change it to one of those, or leave it empty for the station's default.`);
  }
  if (user === undefined || problems.length > 0) return { problems };
  const orderId = text('orderid') ?? text('order');
  const label = text('label');
  const note = text('note') ?? text('notes');
  const order: OrderInput = {
    user,
    ...(orderId !== undefined && { orderId }),
    ...(delivery !== undefined && { delivery }),
    ...(label !== undefined && { label }),
    ...(note !== undefined && { note }),
  };
  return { order, problems };
}

/** A value quoted for a message, cut short so a pasted paragraph stays readable. */
function shown(value: string): string {
  const quoted = JSON.stringify(value);
  return quoted.length > 42 ? `${quoted.slice(0, 39)}…"` : quoted;
}
