import { Transform } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMITTED = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** `14:03:07.123 INFO  message key=value …`: pino's JSON lines made readable for a terminal. */
export function prettyLines(destination: NodeJS.WritableStream): Transform {
  const pretty = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const lines = chunk.toString().split('\n').filter(Boolean);
      done(
        null,
        lines
          .map((line) => {
            const entry = JSON.parse(line) as Record<string, unknown>;
            const time = new Date(Number(entry.time)).toISOString().slice(11, 23);
            const level = (LEVELS[Number(entry.level)] ?? String(entry.level)).padEnd(5);
            const fields = Object.entries(entry)
              .filter(([key]) => !OMITTED.has(key))
              .map(
                ([key, value]) =>
                  `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
              );
            return (
              `${time} ${level} ${String(entry.msg ?? '')} ${fields.join(' ')}`.trimEnd() + '\n'
            );
          })
          .join(''),
      );
    },
  });
  pretty.pipe(destination);
  return pretty;
}

/**
 * One JSON line per event worth logging (or a readable line with LOG_FORMAT=pretty). API keys
 * never reach a log line: the redact paths cover the places a request's credentials could appear.
 */
export function createLogger(config: Config, destination?: NodeJS.WritableStream): Logger {
  const out = destination ?? process.stdout;
  return pino(
    {
      level: config.server.LOG_LEVEL,
      base: { service: 'pulsegraph' },
      redact: [
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        'connectionParams.authorization',
      ],
    },
    config.server.LOG_FORMAT === 'pretty' ? prettyLines(out) : out,
  );
}
