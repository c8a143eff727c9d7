// Structured JSON logs (winston) with cluster/feature/node fields.
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(level = process.env.FEDFEAT_LOG_LEVEL ?? 'info', silent = false): Logger {
  return winston.createLogger({
    level,
    silent,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'fedfeat-controller' },
    transports: [new winston.transports.Stream({ stream: process.stderr })],
  });
}
