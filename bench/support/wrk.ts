import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Makes sure `wrk` (an HTTP load generator in C: a Node client would take as much of the 2 cores
 * as the server it measures) is on the PATH, installing Debian's package when it is not.
 */
export function ensureWrk(say: (line: string) => void): void {
  if (spawnSync('sh', ['-c', 'command -v wrk']).status === 0) return;
  say('wrk is not installed: installing Debian\'s "wrk" package with apt-get (needs root)');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'wrk'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (install()) return;
  say('  apt-get install failed; running apt-get update and trying again');
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!install())
    throw new Error('could not install wrk: install it (apt-get install wrk) and rerun');
}

export interface WrkRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  /** Latencies in ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Responses that were not 200 or whose body holds `"errors"`, plus socket errors and timeouts. */
  failed: number;
}

const luaString = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The request, a check of every response, and one JSON line of totals at the end. */
function script(request: WrkRequest): string {
  const headers = Object.entries({ 'Content-Type': 'application/json', ...request.headers })
    .map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`)
    .join('\n');
  return `wrk.method = "POST"
wrk.body = ${luaString(request.body)}
${headers}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, thread in ipairs(threads) do failed = failed + thread:get("bad") end
  io.write(string.format('WRK {"requests":%d,"us":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"failed":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, failed))
end
`;
}

/** Runs wrk with one thread and `connections` keep-alive connections for `seconds`. */
export async function runWrk(
  request: WrkRequest,
  options: { connections: number; seconds: number },
): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  const file = join(dir, 'request.lua');
  writeFileSync(file, script(request));
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        'wrk',
        [
          '-t1',
          `-c${options.connections}`,
          `-d${options.seconds}s`,
          '--timeout',
          '5s',
          '-s',
          file,
          request.url,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}:\n${out}`)),
      );
    });
    const line = /^WRK (.*)$/m.exec(output);
    if (!line) throw new Error(`wrk printed no totals:\n${output}`);
    const totals = JSON.parse(line[1]!) as Record<string, number>;
    const ms = (us: number) => us / 1000;
    return {
      requests: totals.requests!,
      seconds: totals.us! / 1e6,
      p50: ms(totals.p50!),
      p90: ms(totals.p90!),
      p99: ms(totals.p99!),
      max: ms(totals.max!),
      failed: totals.failed!,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
