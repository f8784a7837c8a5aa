/** Test databases: `dept_test_<random>` on the machine's PostgreSQL and MariaDB, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import type { DatabaseTarget } from '../sim/sql-store.js';

export const PG_URL = process.env.DEPT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const MARIADB_URL = process.env.DEPT_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306';

export function testDatabase(client: DatabaseTarget['client']): DatabaseTarget {
  return {
    client,
    serverUrl: client === 'pg' ? PG_URL : MARIADB_URL,
    database: `dept_test_${randomBytes(4).toString('hex')}`,
  };
}
