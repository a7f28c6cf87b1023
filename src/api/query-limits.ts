import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { badUserInput } from './errors.js';

/** Fields declare what they cost in the schema (`extensions: { cost }`); any other field costs 1. */
export const fieldCost = (
  extensions: Readonly<Record<string, unknown>> | null | undefined,
): number => (typeof extensions?.cost === 'number' ? extensions.cost : 1);

/** GraphiQL's and codegen's introspection queries nest `ofType` about a dozen levels deep. */
const INTROSPECTION_DEPTH = 16;

interface Measure {
  /** Longest chain of nested fields. */
  depth: number;
  /** Longest chain inside `__schema` / `__type`, measured apart. */
  introspectionDepth: number;
  cost: number;
}

/**
 * Bounds every operation before it runs: its depth (the longest chain of nested fields) and its
 * cost (the sum of its fields' costs, store-backed fields weighing more, each alias counted).
 * Fragments are followed. Introspection is free and only held to a fixed depth: it is bounded by
 * the schema, and tools need it deeper than any real query.
 */
export function queryLimitRule(limits: { maxDepth: number; maxCost: number }): ValidationRule {
  return (context) => {
    const schema = context.getSchema();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION)
        fragments.set(definition.name.value, definition);
    const measured = new Map<string, Measure>();

    const measure = (
      selectionSet: SelectionSetNode,
      parent: GraphQLCompositeType,
      seen: ReadonlySet<string>,
    ): Measure => {
      const total: Measure = { depth: 0, introspectionDepth: 0, cost: 0 };
      const merge = (inner: Measure) => {
        total.depth = Math.max(total.depth, inner.depth);
        total.introspectionDepth = Math.max(total.introspectionDepth, inner.introspectionDepth);
        total.cost += inner.cost;
      };
      const below = (set: SelectionSetNode | undefined, type: unknown, names = seen): Measure =>
        set && isCompositeType(type)
          ? measure(set, type, names)
          : { depth: 0, introspectionDepth: 0, cost: 0 };

      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          if (name === '__typename') continue;
          const field =
            isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
          const namedType = field
            ? getNamedType(field.type)
            : schema.getType(name === '__schema' ? '__Schema' : name === '__type' ? '__Type' : '');
          const inner = below(selection.selectionSet, namedType);
          if (name.startsWith('__'))
            merge({
              depth: 0,
              introspectionDepth: 1 + Math.max(inner.depth, inner.introspectionDepth),
              cost: 0,
            });
          else
            merge({
              depth: 1 + inner.depth,
              introspectionDepth: inner.introspectionDepth,
              cost: fieldCost(field?.extensions) + inner.cost,
            });
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition
            ? schema.getType(selection.typeCondition.name.value)
            : parent;
          merge(below(selection.selectionSet, condition));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue; // unknown or cyclic: graphql's own rules report those
          // Memoised: a fragment spread many times over (a "fragment bomb") is measured once.
          let spread = measured.get(name);
          if (!spread) {
            spread = below(
              fragment.selectionSet,
              schema.getType(fragment.typeCondition.name.value),
              new Set([...seen, name]),
            );
            measured.set(name, spread);
          }
          merge(spread);
        }
      }
      return total;
    };

    return {
      OperationDefinition(operation) {
        const root = schema.getRootType(operation.operation);
        if (!root) return;
        const { depth, introspectionDepth, cost } = measure(
          operation.selectionSet,
          root,
          new Set(),
        );
        if (
          depth > limits.maxDepth ||
          introspectionDepth > Math.max(limits.maxDepth, INTROSPECTION_DEPTH)
        )
          context.reportError(
            badUserInput(
              `the operation is ${Math.max(depth, introspectionDepth)} levels deep, more than MAX_QUERY_DEPTH (${limits.maxDepth})`,
              { limit: 'MAX_QUERY_DEPTH', max: limits.maxDepth },
            ),
          );
        if (cost > limits.maxCost)
          context.reportError(
            badUserInput(
              `the operation costs ${cost}, more than MAX_QUERY_COST (${limits.maxCost})`,
              {
                limit: 'MAX_QUERY_COST',
                max: limits.maxCost,
              },
            ),
          );
      },
    };
  };
}
