import type { Account } from '../domain/account/account.js';
import type { Actor } from '../domain/audit/audit-entry.js';
import type { CloudAccount } from '../domain/cloud-account/cloud-account.js';
import type { Site } from '../domain/site/site.js';
import { type BillingMethod, sameMethod, type Workspace } from '../domain/workspace/workspace.js';
import { ConflictError, ForbiddenError, NotFoundError, RuleViolation } from '../shared/domain-error.js';
import { calendarMonth } from '../shared/time.js';

/**
 * AWS account billing is offered only to workspaces on AWS sites of the same partition (cn2 ↔ aws-cn;
 * us1/eu1/ap1 ↔ aws), unless an operator gave the account `anyBillingMethod`. The cloud account must belong
 * to the workspace's owner and be pending (its SNS message may lag the redirect) or active.
 */
export function assertCloudAccountEligible(
  workspace: Workspace,
  site: Site,
  owner: Account,
  cloudAccount: CloudAccount,
): void {
  if (cloudAccount.ownerAccountId !== workspace.ownerAccountId)
    throw new NotFoundError('cloud-account', cloudAccount.id);
  if (!cloudAccount.acceptsNewWorkspaces) {
    throw new RuleViolation(
      'cloud-account-not-usable',
      `Cloud account "${cloudAccount.id}" is ${cloudAccount.state}; only pending or active subscriptions can settle workspaces.`,
      { cloudAccountId: cloudAccount.id, state: cloudAccount.state },
    );
  }
  if (!owner.anyBillingMethod && site.awsPartition !== cloudAccount.partition) {
    throw new RuleViolation(
      'site-not-eligible-for-cloud-account',
      `Workspace "${workspace.name}" is on site ${site.id} (${site.name}); an ${cloudAccount.partition} AWS account can settle only workspaces on ${cloudAccount.partition === 'aws-cn' ? 'the AWS China site' : 'AWS global sites'}.`,
      { workspaceId: workspace.id, siteId: site.id, partition: cloudAccount.partition },
    );
  }
}

export interface MethodChangeRequest {
  mode: 'change' | 'unlock';
  workspace: Workspace;
  site: Site;
  owner: Account;
  target: BillingMethod;
  targetCloudAccount: CloudAccount | null;
  currentCloudAccount: CloudAccount | null;
  now: Date;
  billingTimeZone: string;
  by: Actor;
  /** An operator moving a workspace off an active subscription (audited). */
  force?: boolean;
}

/** Every rule of the product documentation about changing or unlocking a workspace's billing method. */
export function assertBillingMethodChangeAllowed(r: MethodChangeRequest): void {
  const { workspace: ws, by } = r;
  ws.assertNotDissolved();
  const isOperator = by.type === 'operator';
  if (r.mode === 'change') {
    if (ws.isLocked) {
      throw new RuleViolation(
        'workspace-locked',
        `Workspace "${ws.name}" is locked; unlock it by choosing a billing method.`,
        { workspaceId: ws.id, lockReason: ws.lockReason },
      );
    }
    if (sameMethod(ws.method, r.target)) {
      throw new ConflictError(
        'billing-method-unchanged',
        `Workspace "${ws.name}" already uses this billing method.`,
        {
          workspaceId: ws.id,
        },
      );
    }
    // At most one change per calendar month; unlocking is not limited by this.
    if (
      ws.lastBillingMethodChangeAt &&
      calendarMonth(ws.lastBillingMethodChangeAt, r.billingTimeZone) ===
        calendarMonth(r.now, r.billingTimeZone)
    ) {
      throw new RuleViolation(
        'billing-method-change-limit',
        `Workspace "${ws.name}" already changed its billing method this month (${calendarMonth(r.now, r.billingTimeZone)}); it can change again next month.`,
        { workspaceId: ws.id, lastChangeAt: ws.lastBillingMethodChangeAt.toISOString() },
      );
    }
    if (r.currentCloudAccount?.subscriptionInForce && !(r.force && isOperator)) {
      throw new RuleViolation(
        'cloud-subscription-active',
        `Workspace "${ws.name}" is settled by an AWS subscription that is still active; cancel the subscription in AWS Marketplace first.`,
        { workspaceId: ws.id, cloudAccountId: r.currentCloudAccount.id },
      );
    }
  } else {
    const lock = ws.lock;
    if (!lock) {
      throw new ConflictError('workspace-not-locked', `Workspace "${ws.name}" is not locked.`, {
        workspaceId: ws.id,
      });
    }
    if (!isOperator) {
      if (lock.reason === 'operator') {
        throw new ForbiddenError(
          'lock-requires-operator',
          `Workspace "${ws.name}" was locked by an operator; contact support to unlock it.`,
          {
            workspaceId: ws.id,
          },
        );
      }
      if (lock.fullyLockedAt) {
        throw new RuleViolation(
          'lock-grace-expired',
          `The grace period of workspace "${ws.name}" ended on ${lock.graceEndsAt.toISOString()}; contact support to restore it.`,
          { workspaceId: ws.id },
        );
      }
      if (lock.reason === 'arrears' && r.target.kind === 'billing-center') {
        throw new RuleViolation(
          'arrears-unlock-requires-cloud-account',
          `Workspace "${ws.name}" is locked for arrears on the Billing Center balance; settle the arrears or choose a cloud account.`,
          { workspaceId: ws.id },
        );
      }
    }
  }
  if (r.target.kind === 'cloud-account') {
    if (!r.targetCloudAccount) throw new NotFoundError('cloud-account', r.target.cloudAccountId);
    assertCloudAccountEligible(ws, r.site, r.owner, r.targetCloudAccount);
  }
}
