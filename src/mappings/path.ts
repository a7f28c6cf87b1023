/**
 * Field paths: the small subset of JSONPath that mappings use, parsed once into a list of steps
 * and read by a loop, never evaluated as code.
 *
 *   path    := "$" step*
 *   step    := "." name | "[" index "]"
 *   name    := [A-Za-z_][A-Za-z0-9_-]*
 *   index   := 0 | [1-9][0-9]*   (at most 9 digits)
 *
 * `$.user.id`, `$.items[0].sku`, `$.tags[2]`. `$` alone is the whole message.
 */
export type PathStep = string | number;

export interface FieldPath {
  /** The path as written, for messages. */
  source: string;
  steps: readonly PathStep[];
}

const STEP = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(0|[1-9][0-9]{0,8})\]/y;
const MAX_PATH_LENGTH = 256;
const MAX_STEPS = 16;

export class FieldPathError extends Error {
  override name = 'FieldPathError';
}

export function parseFieldPath(source: string): FieldPath {
  if (source.length > MAX_PATH_LENGTH)
    throw new FieldPathError(`a field path is at most ${MAX_PATH_LENGTH} characters`);
  if (!source.startsWith('$'))
    throw new FieldPathError(`field path ${JSON.stringify(source)} must start with $`);
  const steps: PathStep[] = [];
  STEP.lastIndex = 1;
  while (STEP.lastIndex < source.length) {
    const at = STEP.lastIndex;
    const match = STEP.exec(source);
    if (!match)
      throw new FieldPathError(
        `field path ${JSON.stringify(source)}: unsupported syntax at ${JSON.stringify(source.slice(at, at + 16))} (use .name and [index] steps)`,
      );
    steps.push(match[1] ?? Number(match[2]));
  }
  if (steps.length > MAX_STEPS)
    throw new FieldPathError(
      `field path ${JSON.stringify(source)} has more than ${MAX_STEPS} steps`,
    );
  return { source, steps };
}

/** The value at `path`, or undefined when any step is missing or of the wrong kind. */
export function readPath(root: unknown, path: FieldPath): unknown {
  let value = root;
  for (const step of path.steps) {
    if (typeof value !== 'object' || value === null) return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(value)) return undefined;
      value = value[step];
    } else {
      if (Array.isArray(value) || !Object.hasOwn(value, step)) return undefined;
      value = (value as Record<string, unknown>)[step];
    }
  }
  return value;
}
