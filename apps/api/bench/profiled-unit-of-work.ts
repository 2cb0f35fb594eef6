import type { TransactionContext, UnitOfWork } from '@billing-center/core';

/**
 * Wraps a unit of work to time every repository call and every transaction (`--profile`): where a request's
 * time goes below the API. Concurrent calls overlap, so the times add up to more than the wall clock.
 */
export function profiled(uow: UnitOfWork) {
  const stats = new Map<string, { calls: number; ms: number }>();
  const add = (key: string, ms: number) => {
    const s = stats.get(key) ?? { calls: 0, ms: 0 };
    s.calls += 1;
    s.ms += ms;
    stats.set(key, s);
  };
  const wrap = (name: string, repo: object) =>
    new Proxy(repo, {
      get(target, method) {
        const f = (target as Record<string | symbol, unknown>)[method];
        if (typeof f !== 'function') return f;
        return async (...args: unknown[]) => {
          const start = performance.now();
          try {
            return await f.apply(target, args);
          } finally {
            add(`${name}.${String(method)}`, performance.now() - start);
          }
        };
      },
    });
  const wrapped = (tx: TransactionContext) =>
    Object.fromEntries(
      Object.entries(tx).map(([k, repo]) => [k, wrap(k, repo as object)]),
    ) as unknown as TransactionContext;
  const unitOfWork: UnitOfWork = {
    overlapsTransactions: uow.overlapsTransactions,
    async transaction(work) {
      const start = performance.now();
      try {
        return await uow.transaction((tx) => work(wrapped(tx)));
      } finally {
        add('(whole transaction)', performance.now() - start);
      }
    },
    async read(work) {
      const start = performance.now();
      try {
        return await uow.read((tx) => work(wrapped(tx)));
      } finally {
        add('(whole read)', performance.now() - start);
      }
    },
  };
  const report = () =>
    [...stats]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(
        ([k, v]) =>
          `  ${k.padEnd(34)} ${String(v.calls).padStart(7)} calls ${v.ms.toFixed(0).padStart(8)} ms  ${(v.ms / v.calls).toFixed(2).padStart(7)} ms/call`,
      )
      .join('\n');
  return { unitOfWork, report, reset: () => stats.clear() };
}
