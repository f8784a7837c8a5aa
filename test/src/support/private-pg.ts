import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private PostgreSQL for fault tests: initdb into a temporary folder, its own port, trust auth.
 * Never the machine's server: this one is started, restarted and removed by the test alone.
 */
export class PrivatePostgres {
  readonly dir: string;
  readonly url: string;
  private readonly bin: string;

  constructor(readonly port: number) {
    const root = '/usr/lib/postgresql';
    const version = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
    if (!version) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
    this.bin = join(root, version, 'bin');
    this.dir = mkdtempSync(join(tmpdir(), 'systest-pg-'));
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  private run(cmd: string, args: string[]): string {
    const asRoot = process.getuid?.() === 0;
    const [c, a] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(this.bin, cmd), ...args]]
      : [join(this.bin, cmd), args];
    const r = spawnSync(c, a, { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  init(): void {
    if (process.getuid?.() === 0) {
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      chownSync(this.dir, uid, gid);
    }
    this.run('initdb', [
      '-D',
      join(this.dir, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
    this.start();
  }

  start(): void {
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'postgres.log'),
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=100`,
      '-w',
      'start',
    ]);
  }

  /** `fast`: clean shutdown (connections closed); `immediate`: like a crash (recovery on start). */
  stop(mode: 'fast' | 'immediate'): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      /* already stopped */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
