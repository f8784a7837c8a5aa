import { z } from 'zod';
import { ValidationError, errorMessage } from '@hub/errors';
import type { Decision } from '../consolidation/client.js';
import type { ConsoleDeps } from './deps.js';

const Ref = z.object({ system: z.string().min(1), recordId: z.string().min(1) });

/** A steward decision on a review task, from a form or the JSON API. A reason is always required. */
export const ResolveBody = z.object({
  action: z.enum(['merge', 'keep_apart', 'pick_value', 'split']),
  reason: z.string().trim().min(3, 'a reason of at least 3 characters is required / cần ghi lý do'),
  source: z.string().optional(),
  sourceRecords: z.union([z.string(), z.array(z.string())]).optional(),
});
export type ResolveInput = z.infer<typeof ResolveBody>;

/** `system:recordId` (form value) → reference. */
function ref(text: string): z.infer<typeof Ref> {
  const i = text.indexOf(':');
  const r = Ref.safeParse({ system: text.slice(0, i), recordId: text.slice(i + 1) });
  if (i <= 0 || !r.success) throw new ValidationError(`"${text}" is not a source reference system:recordId`);
  return r.data;
}

function decision(b: ResolveInput): Decision {
  switch (b.action) {
    case 'merge':
      return { decision: 'MERGE' };
    case 'keep_apart':
      return { decision: 'KEEP_APART' };
    case 'pick_value':
      if (!b.source) throw new ValidationError('pick_value needs the source whose value wins / cần chọn nguồn');
      return { decision: 'PICK_VALUE', source: ref(b.source) };
    case 'split': {
      const list = b.sourceRecords === undefined ? [] : Array.isArray(b.sourceRecords) ? b.sourceRecords : [b.sourceRecords];
      if (list.length === 0) throw new ValidationError('split needs the source records to move out / cần chọn bản ghi nguồn để tách');
      return { decision: 'SPLIT', sourceRecords: list.map(ref) };
    }
  }
}

/** Forward the decision to consolidation and audit it (who, what, why, outcome) either way. */
export async function resolveReview(d: ConsoleDeps, user: { username: string }, id: number, body: ResolveInput): Promise<void> {
  if (!d.consolidation) throw new ValidationError('CONSOLIDATION_URL chưa được cấu hình / is not configured');
  const dec = decision(body);
  try {
    await d.consolidation.resolveReviewTask(id, dec, { steward: user.username, reason: body.reason });
  } catch (e) {
    await d.access.audit({ username: user.username, action: `review_${body.action}`, target: `review-task/${id}`, outcome: 'failed', reason: body.reason, details: { ...dec, error: errorMessage(e) } });
    throw e;
  }
  await d.access.audit({ username: user.username, action: `review_${body.action}`, target: `review-task/${id}`, outcome: 'ok', reason: body.reason, details: { ...dec } });
}
