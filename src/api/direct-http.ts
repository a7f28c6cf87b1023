import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type ExecutionResult, type GraphQLError } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { Authenticator, Principal } from './auth.js';
import type { ApiContext } from './context.js';
import type { ServerContext } from './plugins.js';
import type { RateLimiter } from './rate-limit.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const REGULAR = ['application/graphql-response+json', 'application/json'];
/** Clients send few distinct Accept headers, and parsing one took a few percent of a history query's CPU. */
const ACCEPT_HEADERS_REMEMBERED = 64;

/**
 * The media type yoga answers a single result with, or null when it would not answer with JSON.
 * Mirrors yoga's choice (use-result-processor.ts): types with a charset other than utf-8 are
 * ignored, and the type listed FIRST that matches a JSON type wins, whatever its q.
 */
export function jsonMediaType(accept: string | undefined): string | null {
  let chosen: string | null = null;
  const listed = (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',');
  for (const entry of listed.reverse()) {
    const [type = '', ...params] = entry.split(';');
    const charset = params.find((p) => p.includes('charset=')) ?? 'charset=utf-8';
    if (charset !== 'charset=utf-8') continue;
    const [asked, askedSub] = type.split('/');
    for (const mediaType of REGULAR) {
      const [pre, sub] = mediaType.split('/');
      if ((asked === '*' || asked === pre) && (askedSub === '*' || askedSub === sub))
        chosen = mediaType;
    }
  }
  return chosen;
}

/** processRegularResult builds a Fetch Response; this one only keeps what it was given. */
class Captured {
  constructor(
    readonly body: string,
    readonly init: { status: number; headers: Record<string, string> },
  ) {}
}
const capture = { Response: Captured } as unknown as Parameters<typeof processRegularResult>[1];

/**
 * Serves the common request, a POST of one JSON operation (query or mutation) from a client that
 * is not a browser (no Origin) and accepts JSON, straight on Node's request and response: yoga's
 * Fetch-API adaptation (a Request, its body stream and abort signal, a Response piped back) cost
 * ~15 times Node's own handling of a request and bounded the API to ~1,500 requests/s per core.
 * The operation still goes through yoga's envelop (`getEnveloped`: its parse and validation
 * caches, our validation rules, error masking, response extensions, metrics), the key is checked
 * and a rate-limit token taken as useHttpAuth does, and the answer is made by yoga's own
 * processRegularResult (status from the errors, media type, internals stripped).
 * Anything else, and any request this path would answer differently (a body that is not one
 * operation, a bad key, no token left, a syntax or validation error, a subscription), is handed to
 * yoga, with the body already read.
 */
export function createDirectHttp(deps: {
  path: string;
  yoga: YogaServerInstance<ServerContext, ApiContext>;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  maxBodyBytes: number;
  maskError: (error: unknown) => GraphQLError;
}): Handler {
  const { yoga } = deps;
  const mediaTypes = new Map<string | undefined, string | null>();
  const mediaTypeFor = (accept: string | undefined): string | null => {
    let mediaType = mediaTypes.get(accept);
    if (mediaType === undefined) {
      mediaType = jsonMediaType(accept);
      if (mediaTypes.size >= ACCEPT_HEADERS_REMEMBERED) mediaTypes.clear();
      mediaTypes.set(accept, mediaType);
    }
    return mediaType;
  };

  /** The request as yoga would have received it, body included. */
  const toYoga = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    const response = await yoga.fetch(
      new URL(req.url!, `http://${req.headers.host ?? 'localhost'}`),
      {
        method: 'POST',
        headers,
        body: new Uint8Array(body),
      },
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };

  const answer = (res: ServerResponse, result: ExecutionResult, mediaType: string) => {
    const response = processRegularResult(result, capture, mediaType) as unknown as Captured;
    res.writeHead(response.init.status, {
      ...response.init.headers,
      'Content-Length': Buffer.byteLength(response.body),
    });
    res.end(response.body);
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    mediaType: string,
  ): Promise<void> => {
    let params: { query?: unknown; operationName?: unknown; variables?: unknown };
    let principal: Principal;
    try {
      params = JSON.parse(body.toString('utf8')) as typeof params;
      principal = deps.authenticator.authenticate(req.headers.authorization);
    } catch {
      return toYoga(req, res, body);
    }
    const { query, operationName, variables } = params ?? {};
    if (
      typeof query !== 'string' ||
      (operationName != null && typeof operationName !== 'string') ||
      (variables != null && (typeof variables !== 'object' || Array.isArray(variables)))
    )
      return toYoga(req, res, body);
    try {
      deps.rateLimiter.take(principal.keyId);
    } catch {
      return toYoga(req, res, body);
    }
    const request = {
      query,
      operationName: operationName ?? undefined,
      variables: variables ?? undefined,
    };
    const { parse, validate, contextFactory, execute, schema } = yoga.getEnveloped({
      principal,
      params: request,
    });
    let document;
    try {
      document = parse(query);
    } catch {
      return toYoga(req, res, body);
    }
    const operation = getOperationAST(document, request.operationName);
    if (!operation || operation.operation === 'subscription') return toYoga(req, res, body);
    if (validate(schema, document).length > 0) return toYoga(req, res, body);
    let result: ExecutionResult;
    try {
      result = (await execute({
        schema,
        document,
        operationName: request.operationName,
        variableValues: request.variables as Record<string, unknown> | undefined,
        contextValue: await contextFactory(),
      })) as ExecutionResult;
    } catch (error) {
      result = { errors: [deps.maskError(error)] };
    }
    answer(res, result, mediaType);
  };

  return (req, res) => {
    const length = Number(req.headers['content-length']);
    const mediaType = mediaTypeFor(req.headers.accept);
    if (
      req.method !== 'POST' ||
      req.url !== deps.path ||
      req.headers.origin !== undefined ||
      !/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '') ||
      !(length > 0 && length <= deps.maxBodyBytes) ||
      mediaType === null
    ) {
      void yoga(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void serve(req, res, Buffer.concat(chunks), mediaType).catch((error: unknown) => {
        if (!res.headersSent) answer(res, { errors: [deps.maskError(error)] }, mediaType);
        else res.destroy(error instanceof Error ? error : undefined);
      });
    });
  };
}
