import { badUserInput } from './errors.js';
import { checkKey, checkText, type InputRules } from './inputs.js';

const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function lookupTableName(table: string): string {
  if (!TABLE.test(table))
    throw badUserInput(`table must match ${TABLE.source}`, { argument: 'table' });
  return table;
}

export function lookupKeyDimension(key: string, rules: InputRules): string {
  checkKey(key, rules, 'keyDimension');
  return key;
}

/** Rows as the ReferenceStore takes them: a non-empty key and a flat object of string values. */
export function lookupRows(
  rows: readonly { key: string; values?: unknown }[],
  rules: InputRules,
): { key: string; values: Record<string, string> }[] {
  return rows.map((row, index) => {
    const at = `rows[${index}]`;
    checkText(row.key, rules.maxDimensionValueLength, 'a row key', `${at}.key`);
    const { values } = row;
    if (typeof values !== 'object' || values === null || Array.isArray(values))
      throw badUserInput('values must be a flat object of strings', { argument: `${at}.values` });
    const entries = Object.entries(values as Record<string, unknown>);
    if (entries.length > rules.maxDimensions)
      throw badUserInput(`values holds at most ${rules.maxDimensions} keys`, {
        argument: `${at}.values`,
      });
    for (const [key, value] of entries) {
      checkKey(key, rules, `${at}.values`);
      if (typeof value !== 'string')
        throw badUserInput(`values.${key} must be a string`, { argument: `${at}.values.${key}` });
      checkText(value, rules.maxDimensionValueLength, `values.${key}`, `${at}.values.${key}`);
    }
    return { key: row.key, values: values as Record<string, string> };
  });
}
