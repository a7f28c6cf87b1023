import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

function capture(format: string) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger(loadConfig({ LOG_FORMAT: format }), sink);
  return { logger, lines };
}

describe('logger', () => {
  it('writes JSON lines with redacted credentials by default', async () => {
    const { logger, lines } = capture('json');
    logger.info({ tenant: 'acme', authorization: 'Bearer secret' }, 'served');
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'served',
      tenant: 'acme',
      authorization: '[Redacted]',
    });
    expect(lines.join('\n')).not.toContain('secret');
  });

  it('writes one readable line per entry in pretty mode', async () => {
    const { logger, lines } = capture('pretty');
    logger.warn({ tenant: 'acme', authorization: 'Bearer secret' }, 'slow store');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}slow store tenant=acme authorization=\[Redacted\]$/,
    );
  });
});
