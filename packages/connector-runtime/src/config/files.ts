import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ErrorDetail } from '@hub/errors';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The configuration files named by a list of paths (files, or folders whose *.yaml/*.yml/*.json are taken). */
export function configFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      out.push(p); // reported as unreadable by the loader
      continue;
    }
    if (isDir) {
      for (const f of readdirSync(p).sort())
        if (EXTENSIONS.has(extname(f)) && !f.startsWith('.')) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

function pathText(path: readonly PropertyKey[]): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[') || '(top level)'
  );
}

export interface LoadedConfig<T> {
  readonly file: string;
  readonly config: T;
}

/**
 * Parse YAML/JSON connector configuration files against `schema`. Every problem of every file is
 * collected into one ConfigError whose details name the file and the field path, e.g.
 * `civil-status.yaml: mapping.fields.dateOfBirth.normalise`, so an integrator fixes them in one go.
 */
export function loadConfigFiles<S extends z.ZodType>(
  paths: readonly string[],
  schema: S,
): LoadedConfig<z.infer<S>>[] {
  const details: ErrorDetail[] = [];
  const loaded: LoadedConfig<z.infer<S>>[] = [];
  const files = configFiles(paths);
  if (files.length === 0)
    details.push({
      field: paths.join(', ') || '(none)',
      problem: 'no configuration files (*.yaml, *.yml, *.json) found',
    });
  for (const file of files) {
    const name = basename(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      details.push({ field: name, problem: `cannot read the file: ${(e as Error).message}` });
      continue;
    }
    let data: unknown;
    if (extname(file) === '.json') {
      try {
        data = JSON.parse(text);
      } catch (e) {
        details.push({ field: name, problem: `not valid JSON: ${(e as Error).message}` });
        continue;
      }
    } else {
      const doc = parseDocument(text, { prettyErrors: true });
      if (doc.errors.length > 0) {
        for (const err of doc.errors)
          details.push({
            field: `${name} line ${err.linePos?.[0]?.line ?? '?'}`,
            problem: `YAML syntax: ${err.message.split('\n')[0] ?? ''}`,
          });
        continue;
      }
      data = doc.toJS();
    }
    const result = schema.safeParse(data);
    if (!result.success) {
      for (const issue of result.error.issues) {
        details.push({
          field: `${name}: ${pathText(issue.path)}`,
          problem: issue.message,
          hint: 'See connectors/README.md for every key.',
        });
      }
      continue;
    }
    loaded.push({ file, config: result.data });
  }
  const seen = new Map<string, string>();
  for (const { file, config } of loaded) {
    const id = (config as { id?: unknown }).id;
    if (typeof id !== 'string') continue;
    const other = seen.get(id);
    if (other)
      details.push({
        field: `${basename(file)}: id`,
        problem: `connector id "${id}" is already used by ${basename(other)}`,
      });
    seen.set(id, file);
  }
  if (details.length > 0) {
    const list = details.map((d) => `  - ${d.field}: ${d.problem}`).join('\n');
    throw new ConfigError(`Cấu hình connector không hợp lệ / invalid connector configuration:\n${list}`, {
      details,
    });
  }
  return loaded;
}
