import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR, catalog } from './catalog.js';
import { generateTypes } from './typescript.js';

describe('schema catalog', () => {
  const subjects = catalog().subjects();

  it('declares one subject per architecture topic', () => {
    expect(subjects.map((s) => s.topic).sort()).toEqual([
      'hub.connector-status',
      'master.business',
      'master.citizen',
      'master.dossier',
      'obs.business',
      'obs.citizen',
      'obs.dossier',
    ]);
    for (const s of subjects) {
      expect(s.compatibility).toBe(s.topic.startsWith('master.') ? 'FULL_TRANSITIVE' : 'BACKWARD_TRANSITIVE');
    }
  });

  it('bundles every subject into a self-contained schema avsc can parse', () => {
    for (const s of subjects) {
      const type = avro.Type.forSchema(s.schema as avro.Schema, { wrapUnions: 'auto' });
      expect(type.name).toBe(s.record);
      // Re-parsing the JSON text (what the registry stores) gives the same type.
      expect(
        avro.Type.forSchema(JSON.parse(JSON.stringify(s.schema)) as avro.Schema, {
          wrapUnions: 'auto',
        }).equals(type),
      ).toBe(true);
    }
  });

  it('every event has eventId and occurredAt (STYLE.md Avro conventions)', () => {
    for (const s of subjects) {
      const names = (s.schema.fields as { name: string }[]).map((f) => f.name);
      expect(names).toContain('eventId');
      expect(names).toContain('occurredAt');
    }
  });

  it('master schemas give every optional field a default (FULL_TRANSITIVE needs it to evolve)', () => {
    for (const s of subjects.filter((x) => x.topic.startsWith('master.'))) {
      for (const f of s.schema.fields as { name: string; type: unknown; default?: unknown }[]) {
        if (Array.isArray(f.type)) expect('default' in f, `${s.subject}.${f.name}`).toBe(true);
      }
    }
  });

  it('inlines shared types once and refers to them by name afterwards', () => {
    const citizen = catalog().forTopic('obs.citizen');
    const text = JSON.stringify(citizen);
    expect(text.match(/"name":"Address"/g)?.length).toBe(1);
    expect(text).toContain('"hub.common.Address"');
  });

  it('round-trips a citizen observation through Avro binary', () => {
    const type = avro.Type.forSchema(catalog().forTopic('obs.citizen') as avro.Schema, {
      wrapUnions: 'auto',
    });
    const value = {
      eventId: 'e-1',
      occurredAt: 1_764_000_000_000,
      source: {
        system: 'civil-status',
        recordId: 'HT-1',
        version: null,
        updatedAt: null,
        connectorId: 'c1',
        agencyCode: null,
        raw: '{"so_ho_tich":"HT-1"}',
      },
      operation: 'UPSERT',
      personalId: '008185000123',
      legacyIds: [{ kind: 'CMND9', value: '070123456' }],
      fullName: 'Nguyễn Thị Hoà',
      dateOfBirth: { year: 1985, month: null, day: null, precision: 'YEAR' },
      sex: 'FEMALE',
      ethnicity: null,
      nationality: 'VN',
      permanentAddress: null,
      currentAddress: {
        provinceCode: '08',
        districtCode: null,
        communeCode: '02212',
        validOn: null,
        currentCommuneCodes: [],
        detail: 'Thôn 5',
        text: null,
      },
      fatherName: null,
      motherName: null,
      fatherPersonalId: null,
      motherPersonalId: null,
      spousePersonalId: null,
      civilEvents: [],
      phone: null,
      email: null,
    };
    expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
  });

  it('generated TypeScript types are up to date with the .avsc files', () => {
    const committed = readFileSync(join(SCHEMAS_DIR, 'src', 'generated', 'types.ts'), 'utf8');
    expect(committed, 'run `npm run generate -w @hub/schemas` and commit the result').toBe(
      generateTypes(catalog()),
    );
  });
});
