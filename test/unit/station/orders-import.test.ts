// An order file from a spreadsheet: every good row is kept, every bad row is reported on the line the
// spreadsheet shows (header = line 1) with a message that says how to fix it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseOrders, sniffFormat, type OrderImportResult } from '../../../electron/core/station/orders-import.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/orders/${name}`, import.meta.url), 'utf8');
}

function linesOf(result: OrderImportResult) {
  return { orders: result.orders.map((o) => o.line), errors: result.errors.map((e) => e.line) };
}

describe('a good CSV (BOM, CRLF, mixed-case headers, quotes, a blank row, a value spanning two text lines)', () => {
  const result = parseOrders(fixture('good.csv'));

  it('keeps every order with spreadsheet line numbers and reports nothing', () => {
    expect(result.errors).toEqual([]);
    // Line 4 is blank; line 5's note spans two text lines but is one spreadsheet row, so carol is line 6.
    expect(linesOf(result).orders).toEqual([2, 3, 5, 6, 7]);
  });

  it('reads each field, quoted commas and doubled quotes included, and ignores unknown columns', () => {
    expect(result.orders[0]).toEqual({ line: 2, user: 'alice@example.com', orderId: 'ORD-1001', delivery: 'email', label: 'Key A' });
    expect(result.orders[1]).toEqual({ line: 3, user: 'bob', orderId: 'ORD-1002', delivery: 'print', label: 'Smith, Bob', note: 'Desk 4, second floor' });
    expect(result.orders[2]).toEqual({ line: 5, user: '00u1a2b3c4d5e6f7g8h9', orderId: 'ORD-1003', note: 'Call before "shipping"\r\nback entrance' });
    expect(result.orders[4]).toEqual({ line: 7, user: 'dave', delivery: 'hold', label: 'Spare' });
    expect(JSON.stringify(result.orders)).not.toContain('CC-');
  });

  it('gives the same result with LF line endings and without the BOM', () => {
    const lf = fixture('good.csv').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
    const again = parseOrders(lf);
    expect(linesOf(again)).toEqual(linesOf(result));
    expect(again.orders[2]?.note).toBe('Call before "shipping"\nback entrance');
  });
});

describe('a CSV with bad rows', () => {
  const result = parseOrders(fixture('bad-rows.csv'));

  it('keeps the good rows and reports each bad one on its line', () => {
    expect(linesOf(result)).toEqual({ orders: [2, 5, 7], errors: [3, 4, 6, 8] });
    expect(result.orders.map((o) => o.orderId)).toEqual(['ORD-1', 'ORD-4', 'ORD-5']);
  });

  it('says how to fix each one', () => {
    const message = (line: number) => result.errors.find((e) => e.line === line)?.message ?? '';
    expect(message(3)).toMatch(/user is missing.*login, email or Okta user id/);
    expect(message(4)).toMatch(/"fax" is not one of email, print, both, hold.*leave it empty/);
    expect(message(6)).toMatch(/repeats line 2 .*"ORD-1".*Delete one/);
    expect(message(8)).toMatch(/never closed.*closing quote/);
  });

  it('an unterminated quote keeps the rows before it and reads nothing after it', () => {
    expect(result.orders.some((o) => o.user === 'frank@example.com' || o.user === 'grace@example.com')).toBe(false);
    expect(result.errors.at(-1)?.message).toMatch(/nothing from this line to the end of the file was read/);
  });

  it('a quote opened on the first data line leaves no orders but still names the line', () => {
    const broken = parseOrders('user,note\n\nalice,"oops\nbob,fine\n');
    expect(broken).toEqual({ orders: [], errors: [{ line: 3, message: expect.stringMatching(/never closed/) }] });
  });

  it('keeps a stray quote inside a value rather than failing the file', () => {
    const result = parseOrders('user,label\nalice,5" screen\nbob,b\n');
    expect(result.errors).toEqual([]);
    expect(result.orders.map((o) => o.label)).toEqual(['5" screen', 'b']);
  });
});

describe('row checks', () => {
  it('reports a row with more values than the header (an unquoted comma) and keeps trailing empty cells', () => {
    const result = parseOrders('user,orderId,note\nalice,1,desk 4, floor 2\nbob,2,,,,\n');
    expect(linesOf(result)).toEqual({ orders: [3], errors: [2] });
    expect(result.errors[0]?.message).toMatch(/4 values but the header has 3 columns.*double quotes/);
  });

  it('reports a user with a space and names the user', () => {
    const result = parseOrders('user\nAlice Smith\n');
    expect(result.errors).toEqual([{ line: 2, message: expect.stringMatching(/"Alice Smith" contains a space/) }]);
  });

  it('puts every problem of one row in its single message', () => {
    const result = parseOrders('user,delivery\n,fax\n');
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.message).toMatch(/user is missing.*"fax" is not one of/);
  });

  it('a repeated user without an order id is a duplicate unless the labels tell the keys apart', () => {
    const result = parseOrders('user,label\nalice,\nALICE,\nalice,backup\n');
    expect(linesOf(result)).toEqual({ orders: [2, 4], errors: [3] });
    expect(result.errors[0]?.message).toMatch(/repeats line 2 .*same user "ALICE" with no orderId.*own orderId or label/);
  });

  it('takes the user from login, email or userId columns, preferring user, then userId, login, email', () => {
    const result = parseOrders('Email,Login,User-Id\na@x.io,alogin,00u1\nb@x.io,,\n,clogin,\n');
    expect(result.orders.map((o) => o.user)).toEqual(['00u1', 'b@x.io', 'clogin']);
  });

  it('reports a header with no user column on its line and reads nothing else', () => {
    const result = parseOrders('\nname,order\nalice,1\n');
    expect(result.orders).toEqual([]);
    expect(result.errors).toEqual([{ line: 2, message: expect.stringMatching(/no user column \(found: "name, order"\).*"user", "login", "email" or "userId"/) }]);
  });

  it('numbers rows from a header that follows blank lines', () => {
    const result = parseOrders('\n\nuser\nalice\n\nbob\n');
    expect(linesOf(result).orders).toEqual([4, 6]);
  });

  it('a header with no rows is zero orders and no errors', () => {
    expect(parseOrders('user,orderId\n')).toEqual({ orders: [], errors: [] });
  });
});

describe('empty files', () => {
  it.each([
    ['the empty fixture', fixture('empty.csv')],
    ['only a BOM', '\uFEFF'],
    ['only blank lines', '\r\n\n  \n'],
  ])('%s is one error on line 1 that says what a file should hold', (_name, text) => {
    expect(parseOrders(text)).toEqual({ orders: [], errors: [{ line: 1, message: expect.stringMatching(/empty.*header row.*one order per row/) }] });
  });

  it('an empty JSON file is reported the same way', () => {
    expect(parseOrders('', 'json').errors).toHaveLength(1);
  });
});

describe('JSON', () => {
  const result = parseOrders(fixture('orders.json'));

  it('reports each bad entry on the line it starts and keeps the good ones', () => {
    expect(linesOf(result)).toEqual({ orders: [4, 5, 15], errors: [11, 12, 13, 14] });
  });

  it('reads aliases, numbers as text, null as absent', () => {
    expect(result.orders).toEqual([
      { line: 4, user: 'alice@example.com', orderId: 'ORD-2001', delivery: 'email' },
      { line: 5, user: 'bob', orderId: '2002', delivery: 'print', label: 'Bob\'s key, "blue" {not a brace}' },
      { line: 15, user: 'frank@example.com', label: 'Spare' },
    ]);
  });

  it('says how to fix each bad entry', () => {
    const messages = result.errors.map((e) => e.message);
    expect(messages[0]).toMatch(/"pigeon" is not one of/);
    expect(messages[1]).toMatch(/not an order.*\{"user"/);
    expect(messages[2]).toMatch(/"note" must be text, not a list/);
    expect(messages[3]).toMatch(/repeats line 4/);
  });

  it('accepts a bare array', () => {
    const bare = parseOrders('[\n{"user":"a"},\n\n  {"user":"b", "orderId": "x"}]');
    expect(linesOf(bare)).toEqual({ orders: [2, 4], errors: [] });
  });

  it('reports broken JSON on the line where it breaks, with no orders', () => {
    const broken = parseOrders('[\n{"user":"a"},\n{"user" "b"}\n]');
    expect(broken.orders).toEqual([]);
    expect(broken.errors).toEqual([{ line: 3, message: expect.stringMatching(/JSON is broken.*missing comma, quote or bracket/) }]);
    expect(parseOrders('[\n{"user":"a"},\n{"user":"b"').errors[0]?.line).toBe(3);
  });

  it('reports JSON of the wrong shape on line 1', () => {
    for (const text of ['{"users": []}', '"alice"', '{"orders": {"user": "a"}}']) {
      expect(parseOrders(text, 'json').errors).toEqual([{ line: 1, message: expect.stringMatching(/list of orders/) }]);
    }
  });

  it('sniffs the format from the first visible character', () => {
    expect(sniffFormat('\uFEFF  \n[{"user":"a"}]')).toBe('json');
    expect(sniffFormat('{"orders":[]}')).toBe('json');
    expect(sniffFormat('user\nalice')).toBe('csv');
    expect(parseOrders('\uFEFF{"orders":[{"user":"a"}]}').orders).toEqual([{ line: 1, user: 'a' }]);
  });
});

describe('a large file', () => {
  const rows = 10_000;
  const csv = ['user,orderId,delivery,label,note', ...Array.from({ length: rows }, (_, i) => `user${i}@example.com,ORD-${i},email,"Key ${i}","Floor ${i % 7}, desk ${i}"`)].join('\r\n');

  it('parses a 10,000-row CSV completely', () => {
    const result = parseOrders(csv);
    expect(result.errors).toEqual([]);
    expect(result.orders).toHaveLength(rows);
    expect(result.orders.at(-1)).toMatchObject({ line: rows + 1, user: `user${rows - 1}@example.com`, note: `Floor ${(rows - 1) % 7}, desk ${rows - 1}` });
  });

  it('reports every tenth-of-a-percent bad row and keeps the rest', () => {
    const lines = csv.split('\r\n').map((line, i) => (i > 0 && i % 1000 === 0 ? line.replace('email,', 'telegram,') : line));
    const result = parseOrders(lines.join('\r\n'));
    expect(result.orders).toHaveLength(rows - 10);
    expect(result.errors.map((e) => e.line)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1000 + 1));
  });

  it('parses the same 10,000 orders as JSON with their lines', () => {
    const json = `[\n${Array.from({ length: rows }, (_, i) => `  {"user": "user${i}@example.com", "orderId": "ORD-${i}"}`).join(',\n')}\n]`;
    const result = parseOrders(json);
    expect(result.orders).toHaveLength(rows);
    expect(result.orders.at(-1)?.line).toBe(rows + 1);
  });
});
