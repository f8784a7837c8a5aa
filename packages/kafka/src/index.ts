export * from './client.js';
export * from './backoff.js';
export * from './schema-registry.js';
export * from './codec.js';
export * from './crash.js';
export * from './headers.js';
export * from './outcome.js';
export * from './publisher.js';
export * from './dead-letter.js';
export * from './consumer.js';
export * from './admin.js';
export * from './batch-consumer.js';
export {
  classifyHandlerError,
  describePgError,
  messageFailureAction,
  shouldRetryBatch,
  RACE_RETRIES,
  type HandlerFailure,
  type MessageFailureAction,
} from './poison-batch.js';
