import { describe, expect, it } from 'vitest';
import { formatViolation, readProblems, violations } from './compatibility.js';

const v1 = {
  type: 'record',
  name: 'Person',
  namespace: 'hub.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'age', type: 'int' },
    { name: 'sex', type: { type: 'enum', name: 'Sex', symbols: ['MALE', 'FEMALE'] } },
  ],
};

function withFields(fields: object[]) {
  return { ...v1, fields };
}

describe('readProblems', () => {
  it('accepts an optional field added with a default', () => {
    const v2 = withFields([...v1.fields, { name: 'nick', type: ['null', 'string'], default: null }]);
    expect(readProblems(v2, v1)).toEqual([]);
    expect(readProblems(v1, v2)).toEqual([]);
  });

  it('names a field added without a default', () => {
    const v2 = withFields([...v1.fields, { name: 'nick', type: 'string' }]);
    expect(readProblems(v2, v1)).toEqual([
      {
        path: 'Person.nick',
        problem: 'is required by the reader but absent from the writer, and has no default',
      },
    ]);
  });

  it('allows int → long promotion but not long → int', () => {
    const widened = withFields([v1.fields[0]!, { name: 'age', type: 'long' }, v1.fields[2]!]);
    expect(readProblems(widened, v1)).toEqual([]);
    expect(readProblems(v1, widened)[0]?.path).toBe('Person.age');
  });

  it('flags a type change with the field path', () => {
    const changed = withFields([v1.fields[0]!, { name: 'age', type: 'string' }, v1.fields[2]!]);
    expect(readProblems(changed, v1)).toEqual([
      { path: 'Person.age', problem: 'type changed: int values cannot be read as string' },
    ]);
  });

  it('flags an enum symbol unknown to an old reader without default', () => {
    const more = withFields([
      v1.fields[0]!,
      v1.fields[1]!,
      { name: 'sex', type: { type: 'enum', name: 'Sex', symbols: ['MALE', 'FEMALE', 'UNKNOWN'] } },
    ]);
    expect(readProblems(more, v1)).toEqual([]);
    expect(readProblems(v1, more)[0]?.problem).toContain('UNKNOWN');
  });

  it('looks inside optional unions and nested records', () => {
    const nestedV1 = withFields([
      {
        name: 'addr',
        type: ['null', { type: 'record', name: 'Addr', fields: [{ name: 'code', type: 'string' }] }],
        default: null,
      },
    ]);
    const nestedV2 = withFields([
      {
        name: 'addr',
        type: [
          'null',
          {
            type: 'record',
            name: 'Addr',
            fields: [
              { name: 'code', type: 'string' },
              { name: 'zip', type: 'string' },
            ],
          },
        ],
        default: null,
      },
    ]);
    expect(readProblems(nestedV2, nestedV1).map((p) => p.path)).toContain('Person.addr.zip');
  });
});

describe('violations', () => {
  const added = withFields([...v1.fields, { name: 'nick', type: 'string' }]);
  const removed = withFields([v1.fields[0]!, v1.fields[2]!]);

  it('BACKWARD_TRANSITIVE checks the new schema reading every old version', () => {
    const found = violations(added, [{ version: 1, schema: v1 }], 'BACKWARD_TRANSITIVE');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      path: 'Person.nick',
      version: 1,
      direction: 'new schema reading old data',
    });
    // Removing a field is fine for backward compatibility...
    expect(violations(removed, [{ version: 1, schema: v1 }], 'BACKWARD_TRANSITIVE')).toEqual([]);
  });

  it('FULL_TRANSITIVE also checks old readers reading new data', () => {
    // ...but not for full: an old reader needs `age`, which has no default.
    const found = violations(removed, [{ version: 1, schema: v1 }], 'FULL_TRANSITIVE');
    expect(found).toEqual([
      expect.objectContaining({ path: 'Person.age', direction: 'old schema reading new data' }),
    ]);
    expect(formatViolation('master.x-value', found[0]!)).toMatch(
      /master\.x-value: Person\.age .* FULL_TRANSITIVE is broken/,
    );
  });

  it('non-transitive levels compare with the latest version only', () => {
    const v2 = withFields([...v1.fields, { name: 'nick', type: ['null', 'string'], default: null }]);
    const v3 = withFields([
      v1.fields[0]!,
      v1.fields[1]!,
      v1.fields[2]!,
      { name: 'nick', type: ['null', 'string'], default: null },
      { name: 'x', type: 'int', default: 0 },
    ]);
    expect(
      violations(
        v3,
        [
          { version: 1, schema: v1 },
          { version: 2, schema: v2 },
        ],
        'BACKWARD',
      ),
    ).toEqual([]);
  });

  it('nothing registered yet means nothing to break', () => {
    expect(violations(added, [], 'FULL_TRANSITIVE')).toEqual([]);
  });
});
