import { describe, expect, it } from 'vitest';
import { newClusterId } from './kafka.js';

describe('newClusterId', () => {
  it('never starts with "-", which the storage tool would parse as an option', () => {
    // First draw encodes to "-" + …, the second does not: the id must be the second.
    const draws = [Buffer.from([0xfb, ...Array<number>(15).fill(1)]), Buffer.alloc(16, 7)];
    expect(draws[0]!.toString('base64url').startsWith('-')).toBe(true);
    let i = 0;
    const id = newClusterId(() => draws[i++]!);
    expect(i).toBe(2);
    expect(id).toBe(draws[1]!.toString('base64url'));
  });

  it('is 22 URL-safe base64 characters, like Kafka Uuid', () => {
    for (let n = 0; n < 2000; n++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
