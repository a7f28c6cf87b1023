/**
 * The only way user data reaches ClickHouse SQL text. ClickHouse 18.16 has no server-side query
 * parameters, so values are written as literals: every string through `quoteString`, every
 * identifier through `identifier` (validated, never from a request). Numbers are checked with
 * `integer`. Audited by test/unit/history-sql.test.ts.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A ClickHouse string literal holding exactly `value`. Inside single quotes ClickHouse reads C-style
 * escapes, so the backslash and the quote are escaped, and every ASCII control character (NUL
 * included) is written as \xHH: the literal is printable and cannot end early. Everything else,
 * unicode included, is passed as is (the HTTP body is UTF-8).
 */
export function quoteString(value: string): string {
  let out = "'";
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char === '\\') out += '\\\\';
    else if (char === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}'`;
}

/** `(a, b, ...)` of quoted strings, for `IN`. The list must not be empty (ClickHouse rejects `IN ()`). */
export function quoteList(values: readonly string[]): string {
  if (values.length === 0) throw new RangeError('an IN list needs at least one value');
  return `(${values.map(quoteString).join(', ')})`;
}

/** A validated, back-quoted identifier (database name). Throws on anything but [A-Za-z_][A-Za-z0-9_]*. */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new RangeError(`${JSON.stringify(name)} is not a plain identifier`);
  return `\`${name}\``;
}

/** A non-negative safe integer as SQL text; anything else throws. */
export function integer(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${value} is not a non-negative integer`);
  return String(value);
}
