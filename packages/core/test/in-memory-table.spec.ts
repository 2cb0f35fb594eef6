import { describe, expect, it } from 'vitest';
import { cloneDeep } from '../src/testing/in-memory/table.js';

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
