import type { TransactionContext, UnitOfWork } from '@billing-center/core';
export function profiled(uow: UnitOfWork) {
  const stats = new Map<string, { n: number; ms: number; err: number }>();
  const wrapped: UnitOfWork = {
    transaction: (work) =>
      uow.transaction((tx) => {
        const p = Object.fromEntries(
          Object.entries(tx).map(([k, repo]) => [
            k,
            new Proxy(repo as object, {
              get(t, m) {
                const f = (t as Record<string | symbol, unknown>)[m];
                if (typeof f !== 'function') return f;
                return async (...args: unknown[]) => {
                  const s = performance.now();
                  const key = `${k}.${String(m)}`;
                  const st = stats.get(key) ?? { n: 0, ms: 0, err: 0 };
                  stats.set(key, st);
                  try {
                    return await (f as (...a: unknown[]) => unknown).apply(t, args);
                  } catch (e) {
                    st.err++;
                    console.log(key, (e as Error).message.slice(0, 300));
                    throw e;
                  } finally {
                    st.n++;
                    st.ms += performance.now() - s;
                  }
                };
              },
            }),
          ]),
        ) as unknown as TransactionContext;
        return work(p);
      }),
  };
  return {
    wrapped,
    report: () =>
      console.log([...stats].map(([k, v]) => `${k}: n=${v.n} ms=${v.ms.toFixed(0)} err=${v.err}`).join('\n')),
  };
}
