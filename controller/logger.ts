// Structured JSON logs (winston) with cluster/feature/node fields.
import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(level = process.env.FEDFEAT_LOG_LEVEL ?? 'info', silent = false, stream: NodeJS.WritableStream = process.stderr): Logger {
  return winston.createLogger({
    level,
    silent,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'fedfeat-controller' },
    transports: [new winston.transports.Stream({ stream })],
  });
}

/**
 * Standard error written synchronously on the calling thread. A worker thread's
 * process.stderr is forwarded through the main thread's event loop, so its lines
 * would wait (or be lost at exit) while the main thread is busy.
 */
export function syncStderr(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) { // strings arrive as Buffers (decodeStrings)
      try {
        writeSync(2, chunk);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
}
