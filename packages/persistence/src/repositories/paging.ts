import type { Page } from '@billing-center/core';

/** `rows` holds up to limit + 1 rows: the extra one only says that there is a next page. */
export function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}
