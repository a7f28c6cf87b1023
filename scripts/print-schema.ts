// Prints the Pothos schema to schema/schema.graphql, the file codegen reads and CI diffs.
//   npm run schema:print            write it
//   npm run schema:print -- --check fail when the file is not what the code prints
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { schema } from '../schema/index.js';

const target = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));
const printed = `${printSchema(schema)}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a missing file is stale too
  }
  if (current !== printed) {
    console.error('schema/schema.graphql is stale: run `npm run schema:print` and commit it');
    process.exit(1);
  }
} else {
  writeFileSync(target, printed);
  console.log(`wrote ${target}`);
}
