import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { checkReadiness, type ReadinessCheck } from './health.js';

/** Serves a request it knows and returns true, or leaves it alone and returns false. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** A process's metrics registry and the route that serves it with /health and /ready. */
export interface Observability {
  registry: Registry;
  route: HttpRoute;
}

export interface ObservabilityOptions {
  registry: Registry;
  checks: readonly ReadinessCheck[];
  /** How long /ready waits for one dependency before calling it failing. */
  checkTimeoutMs?: number;
}

/**
 * `/metrics` (Prometheus text format), `/health` (the process answers: always 200) and `/ready`
 * (200 when every dependency answered, 503 otherwise; the JSON body says which one failed and why).
 */
export function createObservabilityRoute(options: ObservabilityOptions): HttpRoute {
  const { registry, checks } = options;
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const started = Date.now();
  const routes: Record<string, (res: ServerResponse) => Promise<void>> = {
    '/metrics': async (res) => {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(text);
    },
    '/health': async (res) =>
      sendJson(res, 200, { status: 'alive', uptimeSeconds: (Date.now() - started) / 1000 }),
    '/ready': async (res) => {
      const report = await checkReadiness(checks, timeoutMs);
      sendJson(res, report.ready ? 200 : 503, {
        status: report.ready ? 'ready' : 'not ready',
        failing: Object.keys(report.checks).filter((name) => !report.checks[name]!.ok),
        checks: report.checks,
      });
    },
  };
  return (req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://local').pathname];
    if (!route) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    route(res).catch((error: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
    return true;
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    })
    .end(JSON.stringify(body));
}

/** A server of routes alone, for a process without the API (a fold consumer). */
export async function startRouteServer(
  route: HttpRoute,
  port: number,
  host: string,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (!route(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
