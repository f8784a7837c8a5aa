/** Where `up` keeps its pid, log, status and live truth: `<repo>/.infra/departments/`. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function repoRoot(from = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'turbo.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

export interface RunPaths {
  dir: string;
  pid: string;
  log: string;
  status: string;
  truthLive: string;
  drop: string;
}

export function runPaths(root = repoRoot()): RunPaths {
  const dir = process.env.HUB_DEPARTMENTS_DIR ?? join(root, '.infra', 'departments');
  return {
    dir,
    pid: join(dir, 'departments.pid'),
    log: join(dir, 'departments.log'),
    status: join(dir, 'status.json'),
    truthLive: join(dir, 'truth-live.jsonl'),
    drop: join(dir, 'drop'),
  };
}
