import { describe, expect, it } from 'vitest';
import { InMemoryDomainEventPublisher } from '../src/events/in-memory-domain-event-publisher.js';
import { publisherContract, sampleEvent } from './contracts/domain-event-publisher.contract.js';

publisherContract(
  'InMemoryDomainEventPublisher (development)',
  async () => {
    const events = new InMemoryDomainEventPublisher();
    return {
      publisher: events,
      observed: async () =>
        events
          .events()
          .reverse()
          .map(({ publishedAt: _, ...envelope }) => envelope),
      breakPublishing: null,
      repair: null,
      close: async () => {},
    };
  },
  { canFail: false },
);

describe('InMemoryDomainEventPublisher', () => {
  it('keeps the newest events first, one copy per id, up to its capacity', async () => {
    let t = Date.parse('2026-11-02T10:00:00Z');
    const tick = () => {
      t += 1000;
      return new Date(t);
    };
    const events = new InMemoryDomainEventPublisher({ capacity: 3, now: tick });
    const [a, b, c, d] = [sampleEvent(), sampleEvent(), sampleEvent(), sampleEvent()];
    await events.publish(a!);
    await events.publish(b!);
    await events.publish(a!); // redelivered: moves to the front, still one copy
    expect(events.events().map((e) => e.id)).toEqual([a!.id, b!.id]);
    await events.publish(c!);
    await events.publish(d!);
    expect(events.events().map((e) => e.id)).toEqual([d!.id, c!.id, a!.id]);
    expect(events.events()[0]).toEqual({
      id: d!.id,
      type: d!.type,
      occurredAt: '2026-11-02T10:15:00.000Z',
      payload: d!.payload,
      publishedAt: new Date('2026-11-02T10:00:05Z'),
    });
    events.clear();
    expect(events.events()).toEqual([]);
  });

  it('hands out copies, and keeps a copy of what it was given', async () => {
    const events = new InMemoryDomainEventPublisher();
    const e = sampleEvent();
    await events.publish(e);
    e.payload.workspaceId = 'changed-by-caller';
    const [copy] = events.events();
    (copy!.payload as Record<string, unknown>).workspaceId = 'changed-by-reader';
    expect(events.events()[0]!.payload.workspaceId).not.toMatch(/changed/);
  });

  it('reports each event to onPublish (a log line in development)', async () => {
    const lines: string[] = [];
    const events = new InMemoryDomainEventPublisher({ onPublish: (e) => lines.push(`${e.type} ${e.id}`) });
    const e = sampleEvent();
    await events.publish(e);
    expect(lines).toEqual([`workspace.locked ${e.id}`]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new InMemoryDomainEventPublisher({ capacity: 0 })).toThrow(/at least 1/);
  });
});
