import { describe, expect, it } from 'vitest';
import { unstorableText } from './storable.js';

describe('unstorableText', () => {
  it('names every field holding a NUL, nested in records and arrays, and nothing else', () => {
    const problems = unstorableText({
      fullName: 'Nguyễn\u0000Văn',
      source: { raw: '{"a":"b\u0000"}', system: 'police' },
      legacyIds: [{ value: '012345678' }, { value: '0\u00001' }],
      note: 'tab\tand newline\n are fine',
      n: 1,
      none: null,
    });
    expect(problems.map((p) => p.field)).toEqual(['/fullName', '/source/raw', '/legacyIds/1/value']);
    expect(problems[0]?.problem).toContain('U+0000');
  });

  it('is empty for ordinary Vietnamese text', () => {
    expect(
      unstorableText({ fullName: 'Hoàng Thị Ánh', address: { text: 'xã Minh Quang, tỉnh Tuyên Quang' } }),
    ).toEqual([]);
  });
});
