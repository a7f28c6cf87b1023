import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpRoute } from '../observability/http.js';

export const DASHBOARD_PATH = '/dashboard';

interface Asset {
  body: Buffer;
  type: string;
  /** Vendor files change only with a package upgrade; the page's own files are revalidated. */
  cache: string;
}

const PAGE = 'no-cache';
const VENDOR = 'public, max-age=86400';

/** The page's own files, and the two libraries it loads, read from node_modules (no build step). */
function loadAssets(): Map<string, Asset> {
  const own = (name: string) => join(dirname(fileURLToPath(import.meta.url)), 'static', name);
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve('uplot'));
  const graphqlWs = dirname(require.resolve('graphql-ws/package.json'));
  const files: [string, string, string, string][] = [
    ['/', own('index.html'), 'text/html; charset=utf-8', PAGE],
    ['/dashboard.js', own('dashboard.js'), 'text/javascript; charset=utf-8', PAGE],
    ['/dashboard.css', own('dashboard.css'), 'text/css; charset=utf-8', PAGE],
    ['/vendor/uPlot.esm.js', join(uplot, 'uPlot.esm.js'), 'text/javascript; charset=utf-8', VENDOR],
    ['/vendor/uPlot.min.css', join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8', VENDOR],
    // The UMD build defines globalThis.graphqlWs: the ESM build is split into hashed chunks.
    [
      '/vendor/graphql-ws.js',
      join(graphqlWs, 'umd', 'graphql-ws.min.js'),
      'text/javascript; charset=utf-8',
      VENDOR,
    ],
  ];
  return new Map(
    files.map(([path, file, type, cache]) => [path, { body: readFileSync(file), type, cache }]),
  );
}

/** The page may talk to its own origin only: HTTP for queries, WebSocket for subscriptions. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the dashboard at /dashboard/: one static page and its ES module, which use the public
 * GraphQL API only (/graphql over HTTP and graphql-ws) with the API key kept in the browser.
 */
export function createDashboardRoute(): HttpRoute {
  const assets = loadAssets();
  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://local');
    if (pathname !== DASHBOARD_PATH && !pathname.startsWith(`${DASHBOARD_PATH}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    // Relative URLs in the page resolve under /dashboard/ (the fragment survives the redirect).
    if (pathname === DASHBOARD_PATH) {
      res.writeHead(308, { location: `${DASHBOARD_PATH}/` }).end();
      return true;
    }
    const asset = assets.get(pathname.slice(DASHBOARD_PATH.length));
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return true;
    }
    res
      .writeHead(200, {
        'content-type': asset.type,
        'content-length': asset.body.length,
        'cache-control': asset.cache,
        'x-content-type-options': 'nosniff',
        'content-security-policy': CONTENT_SECURITY_POLICY,
      })
      .end(asset.body);
    return true;
  };
}
