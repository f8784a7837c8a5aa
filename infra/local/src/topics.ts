import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { TopicDefinition } from '@hub/kafka';

const TopicsFile = z.object({
  defaults: z.object({ partitions: z.number().int().positive().default(6) }).default({ partitions: 6 }),
  topics: z
    .array(
      z.object({
        name: z.string().regex(/^[a-zA-Z0-9._-]+$/, 'topic names use letters, digits, ".", "_" and "-" only'),
        description: z.string().optional(),
        partitions: z.number().int().positive().optional(),
        config: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
      }),
    )
    .min(1),
});

export interface TopicOptions {
  /** 1 on a single broker, 3 on the fault-test cluster. */
  readonly replicationFactor: number;
}

/** Read infra/topics.yaml; errors name the file and the field. */
export function loadTopics(file: string, opts: TopicOptions): TopicDefinition[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = TopicsFile.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `  - ${file}: ${i.path.join('.')}: ${i.message}`)
      .join('\n');
    throw new Error(`invalid topic declarations:\n${issues}`);
  }
  const minIsr = String(Math.max(1, Math.min(2, opts.replicationFactor - 1)));
  return parsed.data.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions ?? parsed.data.defaults.partitions,
    replicationFactor: opts.replicationFactor,
    config: { 'min.insync.replicas': minIsr, ...t.config },
    ...(t.description !== undefined ? { description: t.description } : {}),
  }));
}
