import { PoisonMessageError, ValidationError, errorMessage, isAppError } from '@hub/errors';

/** What a handler decided about one message. Retriable failures are thrown, not returned. */
export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'deadLetter'; readonly reason: string; readonly error: string }
  | { readonly kind: 'skip'; readonly reason: string };

export const ok = (): Outcome => ({ kind: 'ok' });
export const deadLetter = (reason: string, error: string): Outcome => ({ kind: 'deadLetter', reason, error });
export const skip = (reason: string): Outcome => ({ kind: 'skip', reason });

/**
 * The one mapping from errors to consumer behaviour:
 * - PoisonMessageError / ValidationError: the message itself is bad → dead-letter it, go on;
 * - anything else (DependencyUnavailableError, or an unexpected error): retry with backoff, then
 *   pause the partition. An outage or a bug must never turn good messages into dead letters.
 */
export function isPoison(error: unknown): boolean {
  return error instanceof PoisonMessageError || error instanceof ValidationError;
}

export function deadLetterFor(error: unknown): Outcome {
  if (error instanceof PoisonMessageError) return deadLetter(error.reason, describeError(error));
  if (error instanceof ValidationError) return deadLetter('VALIDATION_FAILED', describeError(error));
  return deadLetter('HANDLER_FAILED', errorMessage(error));
}

/** Message plus each detail (field: problem → hint) on one line, for the dlq error header. */
export function describeError(error: unknown): string {
  const base = errorMessage(error);
  if (!isAppError(error) || error.details.length === 0) return base;
  const details = error.details.map((d) =>
    `${d.field ?? ''} ${d.problem}${d.hint ? ` (${d.hint})` : ''}`.trim(),
  );
  return `${base}: ${details.join('; ')}`;
}
