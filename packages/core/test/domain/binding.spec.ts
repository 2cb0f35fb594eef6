import { describe, expect, it } from 'vitest';
import { mother } from '../../src/testing/mothers.js';
import { HOUR, utc } from './helpers.js';

const FROM = utc('2026-11-02T11:00:00Z');
const binding = () => mother.binding({ workspaceId: 'ws-1', cloudAccountId: 'ca-1', from: FROM });

describe('Binding', () => {
  it('an open binding covers every hour from its start', () => {
    const b = binding();
    expect(b.covers(new Date(FROM.getTime() - HOUR))).toBe(false);
    expect(b.covers(FROM)).toBe(true);
    expect(b.covers(utc('2030-01-01T00:00:00Z'))).toBe(true);
  });

  it('a closed binding covers [from, to)', () => {
    const b = binding();
    const to = utc('2026-11-02T14:00:00Z');
    b.close(to, 'billing-method-changed');
    expect(b.to).toBe(to);
    expect(b.endReason).toBe('billing-method-changed');
    expect(b.covers(FROM)).toBe(true);
    expect(b.covers(utc('2026-11-02T13:00:00Z'))).toBe(true);
    expect(b.covers(to)).toBe(false);
  });

  it('is closed once: a later close changes neither the end nor the reason', () => {
    const b = binding();
    const to = utc('2026-11-02T14:00:00Z');
    b.close(to, 'subscription-cancelled');
    b.close(utc('2026-11-03T00:00:00Z'), 'operator');
    expect(b.to).toBe(to);
    expect(b.endReason).toBe('subscription-cancelled');
  });

  it('a close before the start ends it at the start: an empty period, never a negative one', () => {
    const b = binding();
    b.close(utc('2026-11-02T10:00:00Z'), 'workspace-dissolved');
    expect(b.to?.toISOString()).toBe(FROM.toISOString());
    expect(b.covers(FROM)).toBe(false);
    expect(b.endReason).toBe('workspace-dissolved');
  });

  it('a close exactly at the start is also an empty period', () => {
    const b = binding();
    b.close(FROM, 'subscription-failed');
    expect(b.to?.getTime()).toBe(FROM.getTime());
    expect(b.covers(FROM)).toBe(false);
  });
});
