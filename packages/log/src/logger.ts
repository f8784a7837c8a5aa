import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths never written to a log: credentials, and payloads that may hold personal data
 * (Decree 13/2023, Law 91/2025). Callers log identifiers of records, never their content.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
  'payload',
  '*.payload',
  'body',
  '*.body',
  'value',
  '*.value',
  'record',
  '*.record',
  'personalId',
  '*.personalId',
  'fullName',
  '*.fullName',
  'dateOfBirth',
  '*.dateOfBirth',
];

export interface CreateLoggerOptions {
  readonly service: string;
  readonly level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Where to write; stdout by default. Tests pass a stream to assert on what was logged. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing, for unit tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
