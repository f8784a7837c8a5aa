import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './int-harness.test-support.js';
import { consolidate, measure, population, type DatasetQuality } from './quality.test-support.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

describe('matching quality against the generator truth (small population, sanity only)', () => {
  it('a seeded population through the connector mappings and consolidation: precision and recall > 0.9', async () => {
    const pop = population({ seed: 11, people: 400 });
    expect(pop.observations.length).toBeGreaterThan(500);
    expect(pop.rejected).toBeLessThan(pop.observations.length * 0.01);
    const { deadLettered } = await consolidate(database.db, pop.observations);
    expect(deadLettered).toBeLessThan(pop.observations.length * 0.01);
    const q = await measure(database.db, pop.observations);
    const citizen: DatasetQuality = q.citizen;
    expect(citizen.records).toBeGreaterThan(300);
    expect(citizen.overall.truth).toBeGreaterThan(100); // the population has real multi-source people
    // Marriage and death registrations carry their person row's identifiers (sql-poll joins), so
    // hardly any record is left with a name alone (the population's person rows without a number
    // and birth date).
    expect(citizen.nameOnlyRecords).toBeLessThan(citizen.records * 0.01);
    for (const d of Object.values(q)) {
      expect(d.overall.precision).toBeGreaterThan(0.9);
      expect(d.overall.recall).toBeGreaterThan(0.9);
    }
    expect(citizen.withoutStrongId.precision).toBeGreaterThan(0.9);
    expect(citizen.resolvable.withoutStrongId.recall).toBeGreaterThan(0.9);
    expect(citizen.reviewRate).toBeLessThan(0.1);
  });
});
