import { describe, expect, it } from 'vitest';
import {
  AppError,
  DependencyUnavailableError,
  PoisonMessageError,
  ValidationError,
  errorMessage,
  isAppError,
} from './errors.js';

describe('errors', () => {
  it('keeps code, details and cause', () => {
    const cause = new Error('inner');
    const err = new ValidationError('bad record', {
      cause,
      details: [{ field: '/personalId', problem: 'must be 12 digits', hint: 'send the CCCD number' }],
    });
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.httpStatus).toBe(400);
    expect(err.cause).toBe(cause);
    expect(err.details[0]?.field).toBe('/personalId');
    expect(err.name).toBe('ValidationError');
    expect(isAppError(err)).toBe(true);
    expect(err).toBeInstanceOf(AppError);
  });

  it('marks only dependency failures as retriable', () => {
    expect(new DependencyUnavailableError('kafka', 'down').retriable).toBe(true);
    expect(new PoisonMessageError('DECODE_FAILED', 'bad bytes').retriable).toBe(false);
    expect(new ValidationError('x').retriable).toBe(false);
  });

  it('renders any thrown value as a message', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage({ a: 1 })).toBe('{"a":1}');
  });
});
