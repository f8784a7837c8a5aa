/**
 * The hub's error vocabulary. Domain code throws these; one express middleware and one consumer
 * function map them to HTTP statuses and consumer outcomes (STYLE.md "Errors").
 */
export interface ErrorDetail {
  /** JSON-pointer-like path of the offending field, e.g. `/personalId` or `records/3/dateOfBirth`. */
  readonly field?: string;
  /** What is wrong, in plain words. */
  readonly problem: string;
  /** How to fix it. */
  readonly hint?: string;
  /** The value that was seen, when it is safe to echo (never personal data). */
  readonly value?: unknown;
}

export interface AppErrorOptions {
  readonly cause?: unknown;
  readonly details?: readonly ErrorDetail[];
}

export class AppError extends Error {
  readonly code: string;
  readonly details: readonly ErrorDetail[];
  /** True when trying again later may succeed (an outage, not bad input). */
  readonly retriable: boolean = false;
  readonly httpStatus: number = 500;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? [];
  }
}

export class ValidationError extends AppError {
  override readonly httpStatus = 400;
  constructor(message: string, options: AppErrorOptions = {}) {
    super('VALIDATION_FAILED', message, options);
  }
}

export class NotFoundError extends AppError {
  override readonly httpStatus = 404;
  constructor(message: string, options: AppErrorOptions = {}) {
    super('NOT_FOUND', message, options);
  }
}

export class ConflictError extends AppError {
  override readonly httpStatus = 409;
  constructor(message: string, options: AppErrorOptions = {}) {
    super('CONFLICT', message, options);
  }
}

export class UnauthorizedError extends AppError {
  override readonly httpStatus = 401;
  constructor(message: string, options: AppErrorOptions = {}) {
    super('UNAUTHORIZED', message, options);
  }
}

export class ForbiddenError extends AppError {
  override readonly httpStatus = 403;
  constructor(message: string, options: AppErrorOptions = {}) {
    super('FORBIDDEN', message, options);
  }
}

/** A dependency (Kafka, registry, database, department system) is unreachable: retry, do not dead-letter. */
export class DependencyUnavailableError extends AppError {
  override readonly retriable = true;
  override readonly httpStatus = 503;
  readonly dependency: string;
  constructor(dependency: string, message: string, options: AppErrorOptions = {}) {
    super('DEPENDENCY_UNAVAILABLE', message, options);
    this.dependency = dependency;
  }
}

/** A message that can never be processed as it is (undecodable, wrong schema, invalid): dead-letter it. */
export class PoisonMessageError extends AppError {
  override readonly httpStatus = 422;
  /** Stable machine-readable reason, e.g. `DECODE_FAILED`, `SCHEMA_MISMATCH`, `VALIDATION_FAILED`. */
  readonly reason: string;
  constructor(reason: string, message: string, options: AppErrorOptions = {}) {
    super('POISON_MESSAGE', message, options);
    this.reason = reason;
  }
}

/** Configuration is missing or invalid at start-up; lists every bad key. */
export class ConfigError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** A readable one-line message from anything thrown (never `[object Object]`). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
