import type { TransactionContext, UnitOfWork } from '@billing-center/core';

/** Wraps a unit of work to time every repository call (`--profile` in the benchmarks). */
export function profiled(uow: UnitOfWork) {
  const stats = new Map<string, { calls: number; ms: number }>();
  const wrap = (name: string, repo: object) =>
    new Proxy(repo, {
      get(target, method) {
        const f = (target as Record<string | symbol, unknown>)[method];
        if (typeof f !== 'function') return f;
        const key = `${name}.${String(method)}`;
        return async (...args: unknown[]) => {
          const start = performance.now();
          try {
            return await f.apply(target, args);
          } finally {
            const s = stats.get(key) ?? { calls: 0, ms: 0 };
            s.calls += 1;
            s.ms += performance.now() - start;
            stats.set(key, s);
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
    transaction: (work) => uow.transaction((tx) => work(wrapped(tx))),
    read: (work) => uow.read((tx) => work(wrapped(tx))),
  };
  const report = () =>
    [...stats]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([k, v]) => `    ${k}: ${v.calls} calls, ${v.ms.toFixed(0)} ms`)
      .join('\n');
  return { unitOfWork, report };
}
