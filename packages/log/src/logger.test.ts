import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON with the service name and a stable event message', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'test-svc', destination });
    log.info({ count: 3 }, 'batch_committed');
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({ service: 'test-svc', level: 'info', msg: 'batch_committed', count: 3 });
  });

  it('never writes secrets or personal data', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 's', destination });
    log.warn(
      {
        headers: { authorization: 'Bearer abc', 'x-api-key': 'k-123' },
        apiKey: 'k-456',
        record: { personalId: '008185000123', fullName: 'Nguyễn Văn A' },
        personalId: '008185000123',
      },
      'message_dead_lettered',
    );
    const text = lines.join('');
    expect(text).not.toContain('Bearer abc');
    expect(text).not.toContain('k-123');
    expect(text).not.toContain('k-456');
    expect(text).not.toContain('008185000123');
    expect(text).not.toContain('Nguyễn');
    expect(text).toContain('[redacted]');
  });
});
