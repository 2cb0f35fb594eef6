import { ValidationError } from '@billing-center/core';

/** The embedded SQLite file used when the `database` setting is left empty. */
export const DEFAULT_DATABASE = 'data/billing-center.sqlite';

export type DatabaseTarget =
  | { kind: 'postgresql'; url: string; dbName: string; display: string }
  | { kind: 'sqlite'; path: string; display: string };

/**
 * One setting selects the database: a `postgres://` / `postgresql://` URL, `:memory:`, or a file path
 * (embedded SQLite through libsql). Anything else fails at start with a message naming the setting.
 */
export function parseDatabaseSetting(value: string | undefined | null, setting = 'database'): DatabaseTarget {
  const v = (value ?? '').trim() || DEFAULT_DATABASE;
  const bad = (expected: string): never => {
    throw new ValidationError('invalid-configuration', `Configuration "${setting}" ${expected}.`, {
      setting,
    });
  };
  if (/^postgres(ql)?:\/\//i.test(v)) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return bad('is not a valid PostgreSQL URL (expected postgres://user@host:5432/database)');
    }
    const dbName = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (!url.hostname || !dbName)
      bad('must name a host and a database (expected postgres://user@host:5432/database)');
    const display = `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}/${dbName}`;
    return { kind: 'postgresql', url: v, dbName, display };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v))
    bad('must be a postgres:// URL, ":memory:" or a file path for embedded SQLite');
  return { kind: 'sqlite', path: v, display: v === ':memory:' ? 'SQLite :memory:' : `SQLite file ${v}` };
}
