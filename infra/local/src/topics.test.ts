import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopics } from './topics.js';

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'topics-'));
  const f = join(dir, 'topics.yaml');
  writeFileSync(f, text);
  return f;
}

describe('loadTopics', () => {
  it('applies defaults, replication and min ISR from the cluster size', () => {
    const f = file(
      'defaults: { partitions: 4 }\ntopics:\n  - name: obs.citizen\n    config: { retention.ms: -1 }\n  - name: hub.s\n    partitions: 1\n',
    );
    const single = loadTopics(f, { replicationFactor: 1 });
    expect(single[0]).toEqual({
      name: 'obs.citizen',
      partitions: 4,
      replicationFactor: 1,
      config: { 'min.insync.replicas': '1', 'retention.ms': '-1' },
    });
    expect(single[1]?.partitions).toBe(1);
    expect(loadTopics(f, { replicationFactor: 3 })[0]?.config['min.insync.replicas']).toBe('2');
  });

  it('names the file and the field of a bad declaration', () => {
    const f = file('topics:\n  - name: "bad topic!"\n    partitions: 0\n');
    expect(() => loadTopics(f, { replicationFactor: 1 })).toThrow(
      /topics\.yaml: topics\.0\.name: topic names use/,
    );
    expect(() => loadTopics(f, { replicationFactor: 1 })).toThrow(/topics\.0\.partitions/);
  });

  it('the repository declaration is valid and declares the architecture topics', () => {
    const defs = loadTopics(join(import.meta.dirname, '..', '..', 'topics.yaml'), { replicationFactor: 1 });
    const names = defs.map((d) => d.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'obs.citizen',
        'obs.business',
        'obs.dossier',
        'master.citizen',
        'hub.connector-status',
      ]),
    );
    expect(defs.find((d) => d.name === 'master.citizen')?.config['cleanup.policy']).toBe('compact');
  });
});
