import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@hub/log';
import { createTestDatabase } from '../int-harness.test-support.js';
import { checkDatabaseMaintenance } from './maintenance.js';

const databases: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
afterAll(async () => {
  for (const d of databases) await d.drop();
});

describe('database maintenance check at start', () => {
  it("warns exactly when the server's autovacuum is off", async () => {
    const d = await createTestDatabase();
    databases.push(d);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger({ service: 'test', destination: sink });
    // Read independently of the check (`SHOW`, not `current_setting`): this machine's server has it
    // off (CI's conf.d), a production one on; either way the warning must follow the setting.
    const shown = (await d.db.raw<{ rows: { autovacuum: string }[] }>('show autovacuum')).rows[0]?.autovacuum;
    const result = await checkDatabaseMaintenance(d.db, logger);
    logger.flush();
    const warned = lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'postgres_autovacuum_off');
    expect(result.autovacuum).toBe(shown === 'on');
    expect(warned).toBe(shown !== 'on');
  });
});
