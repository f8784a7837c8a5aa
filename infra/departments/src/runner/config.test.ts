import { describe, expect, it } from 'vitest';
import { clientOf, loadDepartmentsConfig } from './config.js';

describe('departments configuration', () => {
  it('puts civil status on MariaDB and the business registry on PostgreSQL by default', () => {
    const config = loadDepartmentsConfig({});
    expect(clientOf(config.DEPT_CIVIL_STATUS_DB_URL)).toBe('mysql2');
    expect(config.DEPT_CIVIL_STATUS_DB).toBe('dept_civil_status');
    expect(clientOf(config.DEPT_BUSINESS_DB_URL)).toBe('pg');
    expect(config.DEPT_BUSINESS_DB).toBe('dept_business_registry');
  });

  it('picks the engine from the URL scheme, so either department runs on either engine', () => {
    expect(clientOf('postgresql://u@db:5432')).toBe('pg');
    expect(clientOf('postgres://u@db:5432')).toBe('pg');
    expect(clientOf('mysql://root@db:3306')).toBe('mysql2');
    const swapped = loadDepartmentsConfig({
      DEPT_CIVIL_STATUS_DB_URL: 'postgres://postgres@127.0.0.1:5432',
      DEPT_BUSINESS_DB_URL: 'mysql://root@127.0.0.1:3306',
    });
    expect(clientOf(swapped.DEPT_CIVIL_STATUS_DB_URL)).toBe('pg');
    expect(clientOf(swapped.DEPT_BUSINESS_DB_URL)).toBe('mysql2');
  });

  it('refuses a server URL of another engine', () => {
    expect(() => loadDepartmentsConfig({ DEPT_CIVIL_STATUS_DB_URL: 'sqlite://x' })).toThrow(
      /DEPT_CIVIL_STATUS_DB_URL/,
    );
    expect(() => clientOf('http://127.0.0.1')).toThrow(/unsupported/);
  });
});
