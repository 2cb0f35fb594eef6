// Property, THROUGH THE HTTP ENDPOINT: whatever order SNS delivers a buyer's lifecycle messages in, with
// duplicates, with deliveries that fail to store (503) and are retried, and with the registration at any
// point among them (earlier messages are parked), the buyer ends in one state: the state of the same
// messages delivered once each in AWS's order, which is the core's fold of them.
//
// Each case runs two buyers through one webhook: A gets the messages once each, in order, after
// registering (the reference); B gets the generated delivery plan. Their final states must be equal, and
// equal to foldLifecycle. FC_NUM_RUNS sets the number of cases per database.
import {
  type CloudAccount,
  foldLifecycle,
  LIFECYCLE_ACTIONS,
  type LifecycleAction,
  type Workspace,
} from '@billing-center/core';
import type { FakeBuyer } from '@billing-center/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newBuyer, registerBuyer } from './support/customers.js';
import { marketplaceMessage, signedNotification } from './support/signing.js';
import { DATABASES, postSns, startTestWebhook, type TestWebhook } from './support/webhook.js';

const RUNS = Number(process.env.FC_NUM_RUNS ?? 15);

interface Message {
  readonly action: LifecycleAction;
  readonly messageId: string;
  readonly occurredAt: Date;
}

/** One POST of the plan: a message, and whether the database fails when it is inserted. */
interface Step {
  readonly message: number;
  readonly storageFault: boolean;
  /** Let the processor catch up after this step (else the next POST races it). */
  readonly drain: boolean;
}

interface Case {
  readonly actions: LifecycleAction[];
  readonly steps: Step[];
  /** How many steps happen before B registers (its earlier messages are parked). */
  readonly registerAfter: number;
}

const caseArbitrary: fc.Arbitrary<Case> = fc
  .array(fc.constantFrom(...LIFECYCLE_ACTIONS), { minLength: 1, maxLength: 6 })
  .chain((actions) =>
    fc
      .tuple(
        // per message: extra deliveries (duplicates, SNS retries) and deliveries whose store fails
        fc.array(fc.record({ duplicates: fc.nat(2), faults: fc.nat(2) }), {
          minLength: actions.length,
          maxLength: actions.length,
        }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.infiniteStream(fc.boolean()),
      )
      .chain(([perMessage, sortKeys, drains]) => {
        const steps: Array<Step & { key: number }> = [];
        perMessage.forEach(({ duplicates, faults }, message) => {
          for (let i = 0; i < faults; i += 1) {
            steps.push({
              message,
              storageFault: true,
              drain: drains.next().value,
              key: sortKeys.next().value,
            });
          }
          for (let i = 0; i <= duplicates; i += 1) {
            steps.push({
              message,
              storageFault: false,
              drain: drains.next().value,
              key: sortKeys.next().value,
            });
          }
        });
        steps.sort((a, b) => a.key - b.key);
        return fc.record({
          actions: fc.constant(actions),
          steps: fc.constant(steps.map(({ key: _key, ...s }) => s)),
          registerAfter: fc.integer({ min: 0, max: steps.length }),
        });
      }),
  );

/** What must be equal between the two buyers: the subscription and every workspace's standing. */
function standing(ca: CloudAccount | null, workspaces: Workspace[]) {
  return {
    state: ca?.state,
    cancelledAt: ca?.cancelledAt?.toISOString() ?? null,
    workspaces: workspaces
      .map((ws) => ({
        locked: ws.isLocked,
        lockReason: ws.lockReason,
        method: ws.method?.kind ?? null,
        settledByItsAccount: ws.method?.kind === 'cloud-account' && ws.method.cloudAccountId === ca?.id,
      }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  };
}

describe.each(DATABASES)('lifecycle convergence through POST /sns on $name', (db) => {
  let w: TestWebhook;

  beforeAll(async () => {
    w = await startTestWebhook(await db.open('convergence'));
  });
  afterAll(async () => {
    await w?.close();
  });

  const post = async (buyer: FakeBuyer, m: Message) =>
    postSns(
      w.app,
      signedNotification({
        messageId: m.messageId,
        timestamp: m.occurredAt,
        message: marketplaceMessage(m.action, buyer),
      }),
    );

  const finalStanding = async (buyer: FakeBuyer) =>
    w.read(async (tx) => {
      const ca = await tx.cloudAccounts.findByCustomer(buyer);
      const workspaces = ca
        ? (await tx.workspaces.list({ ownerAccountId: ca.ownerAccountId }, { limit: 50 })).items
        : [];
      return standing(ca, workspaces);
    });

  it(`every delivery order, with duplicates, failed stores and retries, converges (${RUNS} cases)`, async () => {
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async ({ actions, steps, registerAfter }) => {
        // AWS's order: one second apart, inside the verifier's one-hour window
        const base = Date.now() - 20 * 60_000;
        seq += 1;
        const messagesFor = (tag: string) =>
          actions.map((action, i) => ({
            action,
            messageId: `conv-${seq}-${tag}-${i}`,
            occurredAt: new Date(base + i * 1000),
          }));
        const workspaces = registerAfter === 0 ? 2 : 1;

        // A: the reference
        const a = newBuyer();
        await registerBuyer(w, a, workspaces);
        for (const m of messagesFor('a')) {
          expect((await post(a, m)).statusCode).toBe(200);
          await w.server.processor.drained();
        }

        // B: the generated plan
        const b = newBuyer();
        const messages = messagesFor('b');
        const stored = new Set<number>();
        for (const [i, step] of steps.entries()) {
          if (i === registerAfter) {
            await w.server.processor.drained();
            await registerBuyer(w, b, workspaces);
          }
          w.faults.failNextInserts = step.storageFault ? 1 : 0;
          const res = await post(b, messages[step.message] as Message);
          w.faults.failNextInserts = 0;
          if (step.storageFault && !stored.has(step.message)) {
            expect(res.statusCode).toBe(503);
          } else {
            expect(res.statusCode).toBe(200);
            stored.add(step.message);
          }
          if (step.drain) await w.server.processor.drained();
        }
        // SNS retries every message it has not delivered yet
        for (const [i, m] of messages.entries()) {
          if (!stored.has(i)) expect((await post(b, m)).statusCode).toBe(200);
        }
        if (registerAfter >= steps.length) {
          await w.server.processor.drained();
          await registerBuyer(w, b, workspaces);
        }
        await w.server.processor.drained();
        // what the processor could not finish (a lost optimistic-lock race) the sweep does
        await w.server.processor.sweep();

        const expected = foldLifecycle(messagesFor('fold'));
        const [sa, sb] = [await finalStanding(a), await finalStanding(b)];
        expect(sb).toEqual(sa);
        expect(sa.state).toBe(expected.state);
        expect(sa.workspaces).toHaveLength(workspaces);
        // every workspace of an ended subscription is locked; of a live one, settled by it
        for (const ws of sa.workspaces) {
          if (expected.state === 'cancelled' || expected.state === 'failed') expect(ws.locked).toBe(true);
          else expect(ws.settledByItsAccount).toBe(true);
        }
        // each message stored exactly once
        const ids = (await w.events()).map((e) => e.messageId).filter((id) => id.startsWith('conv-'));
        expect(new Set(ids).size).toBe(ids.length);
      }),
      { numRuns: RUNS },
    );
  }, 240_000);
});
