// Line numbers for the elements of a JSON array, so an order file in JSON can report "line 12" like a CSV does.
// JSON.parse gives no positions; this walks text that JSON.parse has already accepted, so it only has to skip
// values (strings with escapes, nested brackets, literals), never to validate them.

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * The 1-based line on which each element of the order list starts: the root array, or the array under the
 * root object's `orders` key (the last one, as JSON.parse keeps the last duplicate key). Empty when neither.
 */
export function orderListElementLines(text: string): number[] {
  const root = skipWhitespace(text, 0);
  let listStart: number | undefined;
  if (text[root] === '[') listStart = root;
  if (text[root] === '{') listStart = ordersValueStart(text, root);
  if (listStart === undefined || text[listStart] !== '[') return [];
  return linesOfAscending(text, arrayElementStarts(text, listStart));
}

/** One pass over the text for offsets in ascending order, so 10,000 orders cost one scan, not 10,000. */
function linesOfAscending(text: string, offsets: number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let i = 0;
  for (const offset of offsets) {
    for (; i < offset; i++) if (text[i] === '\n') line++;
    lines.push(line);
  }
  return lines;
}

/** The 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

function ordersValueStart(text: string, objectStart: number): number | undefined {
  let found: number | undefined;
  let i = skipWhitespace(text, objectStart + 1);
  while (text[i] === '"') {
    const keyEnd = skipValue(text, i);
    const key: unknown = JSON.parse(text.slice(i, keyEnd));
    const valueStart = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1);
    if (key === 'orders') found = valueStart;
    i = skipWhitespace(text, skipValue(text, valueStart));
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return found;
}

function arrayElementStarts(text: string, arrayStart: number): number[] {
  const starts: number[] = [];
  let i = skipWhitespace(text, arrayStart + 1);
  while (i < text.length && text[i] !== ']') {
    starts.push(i);
    i = skipWhitespace(text, skipValue(text, i));
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return starts;
}

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && WHITESPACE.has(text[i] ?? '')) i++;
  return i;
}

/** The offset just after the value starting at `i`. */
function skipValue(text: string, i: number): number {
  if (text[i] === '"') return skipString(text, i);
  if (text[i] === '{' || text[i] === '[') {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = skipString(text, i);
        continue;
      }
      if (c === '{' || c === '[') depth++;
      if (c === '}' || c === ']') depth--;
      i++;
      if (depth === 0) return i;
    }
    return i;
  }
  while (i < text.length && !WHITESPACE.has(text[i] ?? '') && !',]}'.includes(text[i] ?? '')) i++;
  return i;
}

function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return i;
}
