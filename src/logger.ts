import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * One JSON line per event worth logging. API keys never reach a log line: the redact paths
 * cover the places a request's credentials could appear.
 */
export function createLogger(config: Config, destination?: NodeJS.WritableStream): Logger {
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
    destination ?? process.stdout,
  );
}
