import { ConfigError } from '@hub/errors';
import type { z } from 'zod';

/**
 * Parse the environment once, in main.ts, against a component's schema. Every bad or missing key
 * is listed in one error, so an operator fixes them all in one go.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const details = result.error.issues.map((issue) => ({
      field: issue.path.join('.') || '(env)',
      problem: issue.message,
      hint: 'Set it in the environment or in .env (see .env.example).',
    }));
    const list = details.map((d) => `  - ${d.field}: ${d.problem}`).join('\n');
    throw new ConfigError(`Cấu hình không hợp lệ / invalid configuration:\n${list}`, { details });
  }
  return Object.freeze(result.data);
}

/** `a,b , c` → ['a','b','c'] (for broker lists and similar). */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
