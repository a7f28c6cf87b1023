import type { Server } from 'node:http';
import {
  GraphQLError,
  getOperationAST,
  Kind,
  type DocumentNode,
  type ExecutionArgs,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Authenticator, Principal } from './auth.js';
import type { ApiContext } from './context.js';
import { rateLimited } from './errors.js';
import type { ServerContext } from './plugins.js';
import type { RateLimiter } from './rate-limit.js';
import { createSharedResults, type Outcome } from './shared-results.js';

/** graphql-ws close code for a connection_init without a valid key (the protocol's "Unauthorized"). */
export const CLOSE_UNAUTHENTICATED = 4401;

/** yoga's enveloped execute and subscribe, handed to graphql-ws through rootValue. */
interface Executors {
  execute: (args: ExecutionArgs) => Outcome | Promise<Outcome>;
  subscribe: (args: ExecutionArgs) => Outcome | Promise<Outcome>;
}

/**
 * Serves the `graphql-transport-ws` protocol on `path` of `server`, every operation going through
 * yoga's envelop (`getEnveloped`), so a subscription gets the same context, plugins, validation
 * rules, error masking and response extensions as a query over HTTP. The key is checked once on
 * connection_init (`{ authorization: "Bearer <key>" }`); each operation then takes a rate-limit
 * token, and a connection holds at most `maxSubscriptions` operations at a time.
 * Subscriptions of a `sharedFields` field are executed and serialized once for every subscriber of
 * the same operation and tenant (src/api/shared-results.ts).
 */
export function attachGraphqlWs(deps: {
  server: Server;
  path: string;
  yoga: YogaServerInstance<ServerContext, ApiContext>;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  maxSubscriptions: number;
  maskError: (error: unknown) => GraphQLError;
  /** Subscription fields whose events depend only on the tenant and the field's arguments. */
  sharedFields: ReadonlySet<string>;
}): { close(): Promise<void> } {
  const wss = new WebSocketServer({ server: deps.server, path: deps.path });
  const principals = new WeakMap<object, Principal>();
  const shared = createSharedResults();

  /** True for a subscription whose only selection is a field of `sharedFields`. */
  const isShared = (document: DocumentNode, operationName: string | null | undefined) => {
    const operation = getOperationAST(document, operationName);
    const [only, ...more] = operation?.selectionSet.selections ?? [];
    return (
      operation?.operation === 'subscription' &&
      more.length === 0 &&
      only?.kind === Kind.FIELD &&
      deps.sharedFields.has(only.name.value)
    );
  };

  const served = useServer(
    {
      execute: (args) => (args.rootValue as Executors).execute(args),
      subscribe: (args) => (args.rootValue as Executors).subscribe(args),
      onConnect(ctx) {
        const authorization = ctx.connectionParams?.authorization;
        try {
          principals.set(
            ctx.extra.socket,
            deps.authenticator.authenticate(
              typeof authorization === 'string' ? authorization : null,
            ),
          );
          return true;
        } catch (error) {
          ctx.extra.socket.close(
            CLOSE_UNAUTHENTICATED,
            `UNAUTHENTICATED: ${error instanceof Error ? error.message : 'invalid API key'}`,
          );
          return false;
        }
      },
      async onSubscribe(ctx, id, params) {
        const principal = principals.get(ctx.extra.socket);
        if (!principal)
          return [
            deps.maskError(
              new GraphQLError('not authenticated', { extensions: { code: 'UNAUTHENTICATED' } }),
            ),
          ];
        try {
          deps.rateLimiter.take(principal.keyId);
          // ctx.subscriptions already holds this operation.
          if (Object.keys(ctx.subscriptions).length > deps.maxSubscriptions)
            throw rateLimited(
              `a connection holds at most ${deps.maxSubscriptions} subscriptions at a time`,
              {
                limit: 'MAX_SUBSCRIPTIONS_PER_CONNECTION',
                max: deps.maxSubscriptions,
              },
            );
          const { schema, execute, subscribe, contextFactory, parse, validate } =
            deps.yoga.getEnveloped({
              principal,
              params,
            });
          const document = parse(params.query);
          const errors = validate(schema, document);
          if (errors.length > 0) return errors;
          const key = JSON.stringify([
            principal.tenant,
            params.query,
            params.operationName ?? null,
            params.variables ?? null,
          ]);
          const executors: Executors = isShared(document, params.operationName)
            ? {
                execute,
                subscribe: (args) =>
                  shared.join(key, { socket: ctx.extra.socket, id }, async () => subscribe(args)),
              }
            : { execute, subscribe };
          return {
            schema,
            document,
            operationName: params.operationName,
            variableValues: params.variables,
            contextValue: await contextFactory(),
            rootValue: executors,
          };
        } catch (error) {
          return [deps.maskError(error)];
        }
      },
    },
    wss,
  );

  return { close: async () => served.dispose() };
}
