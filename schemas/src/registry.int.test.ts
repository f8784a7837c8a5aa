import { describe, expect, inject, it } from 'vitest';
import { SchemaRegistry } from '@hub/kafka';
import { loadSettings, startRegistry, stopRegistry, status } from '@hub/infra-local';
import { uniqueName } from '@hub/testing';
import { catalog, type AvroJson, type SubjectDefinition } from './catalog.js';
import { checkAll, registerAll } from './operations.js';

const endpoints = inject('endpoints');

function testSubject(base: SubjectDefinition, schema: SubjectDefinition['schema']): SubjectDefinition {
  const topic = uniqueName(base.topic);
  return { ...base, subject: `${topic}-value`, topic, schema };
}

describe('schemas against the real registry', () => {
  const registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);

  it('registers every canonical subject with its compatibility level; a second run changes nothing', async () => {
    const first = await registerAll(registry, catalog());
    expect(first.filter((r) => r.status === 'incompatible')).toEqual([]);
    for (const def of catalog().subjects()) {
      expect(await registry.getCompatibility(def.subject)).toBe(def.compatibility);
      expect(await registry.lookup(def.subject, def.schema)).toBeTypeOf('number');
    }
    const again = await registerAll(registry, catalog());
    expect(again.map((r) => r.status)).toEqual(again.map(() => 'unchanged'));
    expect((await checkAll(registry, catalog())).every((r) => r.status === 'unchanged')).toBe(true);
  });

  it('registers a compatible change and refuses an incompatible one, naming the field and the rule', async () => {
    const base = catalog()
      .subjects()
      .find((s) => s.topic === 'obs.citizen');
    if (!base) throw new Error('obs.citizen missing');
    const v1 = testSubject(base, base.schema);
    const fields = base.schema.fields as AvroJson[];
    const compatible = {
      ...base.schema,
      fields: [...fields, { name: 'nickname', type: ['null', 'string'], default: null }],
    };
    const incompatible = {
      ...base.schema,
      fields: [
        ...fields,
        { name: 'nickname', type: ['null', 'string'], default: null },
        { name: 'taxOffice', type: 'string' },
      ],
    };

    const [r1] = await registerAll(registry, catalog(), [v1]);
    expect(r1?.status).toBe('new');
    const [r2] = await registerAll(registry, catalog(), [{ ...v1, schema: compatible }]);
    expect(r2?.status).toBe('compatible-change');
    expect(r2?.id).not.toBe(r1?.id);

    const [r3] = await registerAll(registry, catalog(), [{ ...v1, schema: incompatible }]);
    expect(r3?.status).toBe('incompatible');
    expect(r3?.messages.join('\n')).toMatch(
      /CitizenObserved\.taxOffice is required by the reader but absent from the writer, and has no default — BACKWARD_TRANSITIVE is broken/,
    );
    // Nothing of it reached the registry.
    expect((await registry.history(v1.subject)).length).toBe(2);
    // And the registry itself agrees it is incompatible (it would refuse it).
    expect(await registry.isCompatible(v1.subject, incompatible)).toBe(false);
  });

  it('a master subject (FULL_TRANSITIVE) refuses removing a field that old readers need', async () => {
    const base = catalog()
      .subjects()
      .find((s) => s.topic === 'master.citizen');
    if (!base) throw new Error('master.citizen missing');
    const v1 = testSubject(base, base.schema);
    await registerAll(registry, catalog(), [v1]);
    const withoutVersion = {
      ...base.schema,
      fields: (base.schema.fields as { name: string }[]).filter((f) => f.name !== 'version') as AvroJson[],
    };
    const [r] = await registerAll(registry, catalog(), [{ ...v1, schema: withoutVersion }]);
    expect(r?.status).toBe('incompatible');
    expect(r?.messages[0]).toMatch(
      /CitizenGolden\.version .*FULL_TRANSITIVE is broken \(old schema reading new data/,
    );
  });

  it('keeps every schema across a registry restart (stored in PostgreSQL)', async () => {
    const settings = loadSettings();
    const registryRow = (await status(settings)).find((c) => c.name === 'registry');
    // Only a registry this checkout started can be restarted by the test (CI always starts its own).
    expect(
      registryRow?.startedByThisCheckout,
      'the registry must be started by this checkout for this test',
    ).toBe(true);
    const base = catalog()
      .subjects()
      .find((s) => s.topic === 'obs.dossier');
    if (!base) throw new Error('obs.dossier missing');
    const def = testSubject(base, base.schema);
    const [before] = await registerAll(registry, catalog(), [def]);
    const id = before?.id;
    expect(id).toBeTypeOf('number');

    expect(await stopRegistry(settings)).toBe(true);
    await startRegistry(settings);

    const fresh = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
    expect(await fresh.lookup(def.subject, def.schema)).toBe(id);
    const info = await fresh.client.getBySubjectAndId(def.subject, id as number);
    expect(JSON.parse(info.schema)).toMatchObject({ name: 'DossierObserved' });
    expect(await fresh.getCompatibility(def.subject)).toBe('BACKWARD_TRANSITIVE');
    // The canonical subjects survived too.
    expect((await checkAll(fresh, catalog())).every((r) => r.status === 'unchanged')).toBe(true);
  });
});
