import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneDeep, KeyFilter, Table, TxTable } from '../src/testing/in-memory/table.js';
import { FC_NUM_RUNS } from './domain/helpers.js';

class Row {
  id!: string;
  tags!: string[];
  at!: Date;
  nested!: { list: Array<{ q: number }> } | null;
  constructor(props: Omit<Row, 'label'>) {
    Object.assign(this, props);
  }
  label() {
    return `row ${this.id}`;
  }
}

const row = (id: string) =>
  new Row({ id, tags: ['a'], at: new Date(0), nested: { list: [{ q: 1 }, { q: 2 }] } });

describe('cloneDeep (the in-memory database copies every row it reads or writes)', () => {
  it('copies a class instance field by field: same class, equal, nothing shared but Dates', () => {
    for (let i = 0; i < 200; i++) {
      // past the first instances too: the compiled copy is used for all of them
      const r = row(`r-${i}`);
      const c = cloneDeep(r);
      expect(c).toBeInstanceOf(Row);
      expect(c.label()).toBe(`row r-${i}`);
      expect(c).toEqual(r);
      expect(c.tags).not.toBe(r.tags);
      expect(c.nested).not.toBe(r.nested);
      expect(c.nested?.list[0]).not.toBe(r.nested?.list[0]);
      expect(c.at).toBe(r.at);
      c.tags.push('b');
      (c.nested as { list: Array<{ q: number }> }).list[0] = { q: 9 };
      expect(r.tags).toEqual(['a']);
      expect(r.nested?.list[0]).toEqual({ q: 1 });
    }
  });

  it('copies an instance with a field its class does not declare, or without one it does', () => {
    cloneDeep(row('first')); // the class's copy is compiled from this one
    const extra = Object.assign(row('x'), { added: { deep: [1] } });
    const copy = cloneDeep(extra) as Row & { added: { deep: number[] } };
    expect(copy).toEqual(extra);
    expect(copy.added.deep).not.toBe(extra.added.deep);
    const missing = row('y') as Partial<Row>;
    delete missing.nested;
    const copied = cloneDeep(missing);
    expect(Object.keys(copied)).toEqual(['id', 'tags', 'at']);
    expect(copied).toBeInstanceOf(Row);
  });

  it('copies plain objects, arrays and nulls, and passes primitives through', () => {
    const v = { a: [{ b: null }, 2], d: new Date(5), s: 'x' };
    const c = cloneDeep(v);
    expect(c).toEqual(v);
    expect(c.a).not.toBe(v.a);
    expect(c.a[0]).not.toBe(v.a[0]);
    expect(cloneDeep(null)).toBeNull();
    expect(cloneDeep(3)).toBe(3);
    const bare = Object.assign(Object.create(null), { k: [1] });
    expect(cloneDeep(bare).k).not.toBe(bare.k);
    expect(Object.getPrototypeOf(cloneDeep(bare))).toBeNull();
  });
});

describe('TxTable (one transaction over an in-memory table)', () => {
  type Item = { id: string; owner: string; code: string; version: number };
  const table = () =>
    new Table<Item>({
      name: 'item',
      indexes: { owner: (r) => r.owner },
      unique: { code: (r) => r.code },
    });
  const tx = (t: Table<Item>) => new TxTable(t, () => {});
  const commit = (x: TxTable<Item>) => {
    x.check();
    x.commit();
  };

  it('a row deleted and inserted again replaces the committed row, indexes and unique keys included', () => {
    const t = table();
    t.put({ id: 'a', owner: 'o1', code: 'c1', version: 1 });
    const x = tx(t);
    x.delete('a');
    x.insert({ id: 'a', owner: 'o2', code: 'c2', version: 1 });
    expect(x.byIndex('owner', 'o2').map((r) => r.id)).toEqual(['a']);
    commit(x);
    const y = tx(t);
    expect(y.byIndex('owner', 'o1')).toEqual([]);
    expect(y.byIndex('owner', 'o2').map((r) => r.code)).toEqual(['c2']);
    expect(y.byUnique('code', 'c1')).toBeNull();
    expect(y.byUnique('code', 'c2')?.id).toBe('a');
    expect(t.rows.size).toBe(1);
  });

  it('an inserted row updated in the same transaction commits under its new unique key, not the one it had', () => {
    const t = table();
    const x = tx(t);
    const a = { id: 'a', owner: 'o', code: 'first', version: 1 };
    x.insert(a);
    a.code = 'second';
    x.update(a);
    commit(x);
    expect(t.uniqueOwner('code', 'first')).toBeUndefined();
    expect(t.uniqueOwner('code', 'second')?.row?.id).toBe('a');
    const y = tx(t);
    y.insert({ id: 'b', owner: 'o', code: 'first', version: 1 }); // the old key is free
    commit(y);
    expect(t.rows.size).toBe(2);
  });

  it('refuses an update that takes another row’s unique key, at once', () => {
    const t = table();
    t.put({ id: 'a', owner: 'o', code: 'c1', version: 1 });
    t.put({ id: 'b', owner: 'o', code: 'c2', version: 1 });
    const x = tx(t);
    const b = x.get('b') as Item;
    b.code = 'c1';
    expect(() => x.update(b)).toThrow(/same code/);
    expect(x.failure).not.toBeNull();
  });

  it('finds its own writes by index, and sees another transaction’s insert of the same key at commit', () => {
    const t = table();
    const x = tx(t);
    x.insert({ id: 'a', owner: 'o', code: 'k', version: 1 });
    expect(x.peekByIndex('owner', 'o', () => true).map((r) => r.id)).toEqual(['a']);
    const y = tx(t);
    y.insert({ id: 'b', owner: 'o', code: 'k', version: 1 });
    commit(y); // y commits first: x's insert, checked before, must be checked again
    expect(() => x.check()).toThrow(/same code/);
  });

  it('detects a row changed by another commit since it was read', () => {
    const t = table();
    t.put({ id: 'a', owner: 'o', code: 'c', version: 1 });
    const x = tx(t);
    const y = tx(t);
    const a1 = x.get('a') as Item;
    const a2 = y.get('a') as Item;
    a2.owner = 'p';
    y.update(a2);
    commit(y);
    a1.owner = 'q';
    expect(() => x.update(a1)).toThrow();
  });
});

describe('KeyFilter (which keys a table may hold)', () => {
  it('never says no to a key it was given, across the rebuilds as it grows (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 50 }),
        fc.integer({ min: 0, max: 6_000 }), // past 2,048 keys the filter is rebuilt, and again past 4,096
        (random, more) => {
          const keys = [...random, ...Array.from({ length: more }, (_, i) => `${random[0] ?? ''}${i}`)];
          const held = new Set<string>();
          const f = new KeyFilter(() => held);
          for (const k of keys) {
            held.add(k);
            f.add(k);
            expect(f.mayHave(k)).toBe(true);
          }
          for (const k of keys) expect(f.mayHave(k)).toBe(true);
        },
      ),
      { numRuns: Math.max(10, Math.floor(FC_NUM_RUNS / 10)) },
    );
  });

  it('says no to most keys it was not given (it is there to spare the map lookup)', () => {
    const held = new Set<string>();
    const f = new KeyFilter(() => held);
    for (let i = 0; i < 20_000; i++) {
      held.add(`ca-${i}|log_events|1793613600000`);
      f.add(`ca-${i}|log_events|1793613600000`);
    }
    let maybe = 0;
    for (let i = 20_000; i < 40_000; i++) if (f.mayHave(`ca-${i}|log_events|1793613600000`)) maybe += 1;
    expect(maybe / 20_000).toBeLessThan(0.05);
  });
});

describe('a table past its filters’ first rebuilds', () => {
  type Item = { id: string; code: string; version: number };
  it('still refuses a taken id or unique key, and takes a removed row’s id and key again', () => {
    const t = new Table<Item>({ name: 'item', unique: { code: (r) => r.code } });
    for (let i = 0; i < 5_000; i++) t.put({ id: `i-${i}`, code: `c-${i}`, version: 1 });
    const x = new TxTable(t, () => {});
    expect(() => x.insert({ id: 'i-4321', code: 'new', version: 1 })).toThrow(/same id/);
    const y = new TxTable(t, () => {});
    expect(() => y.insert({ id: 'new', code: 'c-17', version: 1 })).toThrow(/same code/);
    t.remove('i-17');
    const z = new TxTable(t, () => {});
    z.insert({ id: 'i-17', code: 'c-17', version: 1 });
    z.check();
    z.commit();
    expect(t.rows.get('i-17')?.code).toBe('c-17');
    expect(t.rows.size).toBe(5_000);
  });
});
