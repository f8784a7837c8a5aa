import { z } from 'zod';
import { NORMALISERS } from './normalisers.js';
import { ENTITIES, targetFields, type Entity } from './targets.js';

const SourcePath = z.string().min(1, 'name a source field');
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * One canonical field and where its value comes from: exactly one of `from` (a source field, or a
 * list tried in order until one is not blank), `const`, or `template` ("{ho} {ten}").
 */
export const FieldRuleSchema = z
  .object({
    from: z.union([SourcePath, z.array(SourcePath).min(1)]).optional(),
    const: Scalar.optional(),
    template: z.string().min(1).optional(),
    normalise: z.enum(NORMALISERS).optional(),
    /** Source value → canonical enum symbol; keys match without case or diacritics. */
    map: z.record(z.string(), z.string()).optional(),
    /** Used when the source value is blank. */
    default: Scalar.optional(),
    /** A blank value makes the record bad (dead letter) instead of null. */
    required: z.boolean().default(false),
  })
  .strict()
  .refine((r) => [r.from, r.const, r.template].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of "from", "const" or "template"',
  });
export type FieldRule = z.infer<typeof FieldRuleSchema>;

/** A field rule written in short form: `fullName: ho_ten` means `{ from: ho_ten }`. */
const FieldRuleInput = z.preprocess((v) => (typeof v === 'string' ? { from: v } : v), FieldRuleSchema);

export const MappingSchema = z
  .object({
    entity: z.enum(ENTITIES),
    /** Source field(s) forming the record id (joined with ':'). */
    recordId: z.union([SourcePath, z.array(SourcePath).min(1)]),
    /** Source field with the record's last-update time (freshness, eventId). */
    updatedAt: SourcePath.optional(),
    /** Source field with the record's version or revision number. */
    version: SourcePath.optional(),
    /** ISO date or source field giving the date addresses were recorded at (era of unit codes). */
    addressAt: SourcePath.optional(),
    fields: z.record(z.string(), FieldRuleInput),
  })
  .strict()
  .superRefine(checkTargets, {
    // Also run when other keys are bad, so one pass reports unknown fields next to other mistakes.
    when: (payload) => {
      const v = payload.value as { entity?: unknown; fields?: unknown } | undefined;
      return (
        typeof v?.entity === 'string' &&
        (ENTITIES as readonly string[]).includes(v.entity) &&
        typeof v.fields === 'object' &&
        v.fields !== null
      );
    },
  });

function checkTargets(
  m: { entity: Entity; fields: Record<string, Partial<FieldRule> | undefined> },
  ctx: z.RefinementCtx,
): void {
  {
    const targets = targetFields(m.entity);
    for (const [path, rule] of Object.entries(m.fields)) {
      const target = targets.get(path);
      if (!target) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', path],
          message: `"${path}" is not a canonical ${m.entity} field; known: ${[...targets.keys()].join(', ')}`,
        });
        continue;
      }
      if (rule?.map && typeof rule.map === 'object' && target.symbols) {
        for (const [from, to] of Object.entries(rule.map)) {
          if (!target.symbols.includes(to)) {
            ctx.addIssue({
              code: 'custom',
              path: ['fields', path, 'map', from],
              message: `"${to}" is not a ${path} value; use one of ${target.symbols.join(', ')}`,
            });
          }
        }
      }
    }
    for (const target of targets.values()) {
      const defaultable = target.kind === 'enum' && target.symbols?.includes('UNKNOWN');
      if (target.required && !defaultable && !(target.path in m.fields)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields'],
          message: `${m.entity} observations need "${target.path}": map it`,
        });
      }
    }
  }
}
export type Mapping = z.infer<typeof MappingSchema>;
export type MappingInput = z.input<typeof MappingSchema>;

/**
 * The mapping for records pushed already in canonical shape (http-ingest): every canonical field
 * from the property of the same name, with the normaliser its type implies.
 */
export function canonicalMapping(entity: Entity): Mapping {
  const fields: Record<string, FieldRule> = {};
  for (const t of targetFields(entity).values())
    if (t.itemOf === undefined) fields[t.path] = { from: t.path, required: false };
  return { entity, recordId: 'recordId', updatedAt: 'updatedAt', version: 'version', fields };
}
