import type { Knex } from 'knex';
import type { Logger } from '@hub/log';

/**
 * The consolidation rewrites master rows, lineage and source records on every batch. It relies on
 * PostgreSQL's autovacuum to reclaim dead rows and refresh planner statistics. With autovacuum off,
 * tables and indexes bloat and every read slows as the masters grow. At 100 000 people the
 * citizens' pace halved (services/consolidation/BENCHMARK.md, session 8). The server setting is the
 * DBA's, so the service warns at start instead of failing.
 */
export async function checkDatabaseMaintenance(db: Knex, logger: Logger): Promise<{ autovacuum: boolean }> {
  const res = await db.raw<{ rows: { on: boolean }[] }>(`select current_setting('autovacuum') = 'on' as on`);
  const autovacuum = res.rows[0]?.on === true;
  if (!autovacuum)
    logger.warn(
      {
        setting: 'autovacuum',
        hint: 'set autovacuum = on in postgresql.conf (or ALTER SYSTEM SET autovacuum = on; SELECT pg_reload_conf())',
      },
      'postgres_autovacuum_off',
    );
  return { autovacuum };
}
