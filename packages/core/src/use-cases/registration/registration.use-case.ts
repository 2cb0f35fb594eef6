import type { Account } from '../../domain/account/account.js';
import type { Actor } from '../../domain/audit/audit-entry.js';
import { CloudAccount } from '../../domain/cloud-account/cloud-account.js';
import { RegistrationTicket } from '../../domain/registration/registration-ticket.js';
import { AWS_PARTITIONS, type AwsPartition } from '../../domain/site/site.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import type { TransactionContext } from '../../ports/repositories.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../shared/domain-error.js';
import { requireOneOf } from '../../shared/guard.js';
import { addMs } from '../../shared/time.js';
import {
  createAccount,
  type RegisterAccountInput,
  validatePassword,
} from '../accounts/register-account.use-case.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { applyParkedEvents } from '../lifecycle/apply-lifecycle.js';
import { Journal } from '../support/journal.js';
import { bindWorkspaces, parseWorkspaceIds } from '../workspaces/bind-workspaces.use-case.js';
import { createWorkspace } from '../workspaces/create-workspace.use-case.js';

/**
 * AWS posted `x-amzn-marketplace-token` to the fulfillment URL: resolve it at once (it is never stored or
 * put in a URL) and open a short-lived ticket whose opaque id the browser carries to the Billing Center.
 */
export class OpenRegistrationTicket {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: { partition: AwsPartition; token: string },
    meta: RequestMeta = {},
  ): Promise<RegistrationTicket> {
    const partition = requireOneOf('partition', input.partition, AWS_PARTITIONS);
    if (typeof input.token !== 'string' || input.token.trim() === '' || input.token.length > 4096) {
      throw new ValidationError(
        'marketplace-token-missing',
        'The AWS Marketplace registration token is missing. Open the product in AWS Marketplace and click "Set up your account".',
      );
    }
    const customer = await this.ctx.resolver.resolve(partition, input.token.trim());
    if (
      !this.ctx.config.products.some(
        (p) => p.partition === partition && p.productCode === customer.productCode,
      )
    ) {
      throw new ValidationError(
        'unknown-marketplace-product',
        `The AWS Marketplace product ${customer.productCode} is not sold through this Billing Center.`,
        { productCode: customer.productCode },
      );
    }
    const now = this.ctx.clock.now();
    const ticket = new RegistrationTicket({
      id: this.ctx.ids.secret(),
      partition,
      productCode: customer.productCode,
      customerIdentifier: customer.customerIdentifier,
      customerAwsAccountId: customer.customerAwsAccountId,
      licenseArn: customer.licenseArn,
      offerId: customer.offerId ?? null,
      freeTrial: customer.freeTrial ?? false,
      status: 'open',
      createdAt: now,
      expiresAt: addMs(now, this.ctx.config.registrationTicketTtlMinutes * 60_000),
      completedAt: null,
      completedByAccountId: null,
      cloudAccountId: null,
      version: 1,
    });
    return this.ctx.uow.transaction(async (tx) => {
      await tx.tickets.add(ticket);
      const journal = new Journal(this.ctx.ids, now, { type: 'aws' }, meta.requestId);
      journal.audit('registration-ticket.opened', { type: 'registration-ticket', id: ticket.id }, null, {
        partition,
        productCode: ticket.productCode,
        customerAwsAccountId: ticket.customerAwsAccountId,
      });
      await journal.flush(tx);
      return ticket;
    });
  }
}

/** Look up a ticket for the Billing Center page; expired or used tickets say so. */
export class GetRegistrationTicket {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { ticketId: string }): Promise<RegistrationTicket> {
    return this.ctx.uow.read(async (tx) => {
      const t = typeof input.ticketId === 'string' ? await tx.tickets.get(input.ticketId) : null;
      if (!t) throw new NotFoundError('registration-ticket', String(input.ticketId));
      return t;
    });
  }
}

async function registerCloudAccount(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  ticket: RegistrationTicket,
  owner: Account,
  now: Date,
): Promise<CloudAccount> {
  const ref = {
    partition: ticket.partition,
    productCode: ticket.productCode,
    customerIdentifier: ticket.customerIdentifier,
    customerAwsAccountId: ticket.customerAwsAccountId,
    licenseArn: ticket.licenseArn,
    offerId: ticket.offerId,
  };
  const existing = await tx.cloudAccounts.findByCustomer(ref);
  if (existing) {
    if (existing.ownerAccountId !== owner.id) {
      throw new ConflictError(
        'cloud-account-registered-elsewhere',
        'This AWS account is already registered to another Billing Center account. Sign in with that account instead.',
      );
    }
    existing.learnIdentity(ref);
    if (ticket.licenseArn && existing.licenseArn !== ticket.licenseArn) {
      // A new subscription of the same AWS account can come with a new license: ResolveCustomer is current.
      journal.audit('cloud-account.license-changed', { type: 'cloud-account', id: existing.id }, owner.id, {
        from: existing.licenseArn,
        to: ticket.licenseArn,
      });
      existing.replaceLicense(ticket.licenseArn);
    }
    await tx.cloudAccounts.save(existing);
    return existing;
  }
  const ca = CloudAccount.register({
    id: ctx.ids.next(),
    ownerAccountId: owner.id,
    partition: ticket.partition,
    productCode: ticket.productCode,
    customerIdentifier: ticket.customerIdentifier,
    customerAwsAccountId: ticket.customerAwsAccountId,
    licenseArn: ticket.licenseArn,
    offerId: ticket.offerId,
    freeTrial: ticket.freeTrial,
    now,
  });
  await tx.cloudAccounts.add(ca);
  journal.audit('cloud-account.registered', { type: 'cloud-account', id: ca.id }, owner.id, {
    partition: ca.partition,
    productCode: ca.productCode,
    customerAwsAccountId: ca.customerAwsAccountId,
    ticketId: ticket.id,
  });
  journal.event('cloud-account.registered', {
    cloudAccountId: ca.id,
    accountId: owner.id,
    partition: ca.partition,
  });
  return ca;
}

async function loadUsableTicket(
  tx: TransactionContext,
  ticketId: string,
  now: Date,
): Promise<RegistrationTicket> {
  const t = typeof ticketId === 'string' ? await tx.tickets.get(ticketId) : null;
  if (!t) throw new NotFoundError('registration-ticket', String(ticketId));
  t.assertUsable(now);
  return t;
}

export interface NewWorkspaceInput {
  name: string;
  language: string;
  /** Defaults to the first site of the ticket's partition. */
  siteId?: string;
}

function defaultSite(ctx: CoreContext, partition: AwsPartition): string {
  const site = ctx.sites.all().find((s) => s.awsPartition === partition);
  if (!site)
    throw new ValidationError(
      'no-site-for-partition',
      `No site is configured for the ${partition} partition.`,
    );
  return site.id;
}

export interface RegistrationResult {
  account: Account;
  cloudAccount: CloudAccount;
  workspaces: Workspace[];
}

/**
 * First commercial registration with "Amazon Cloud Store Activation": a new account, its cloud account and
 * its first workspace settled by it, in one transaction. Events that arrived first are applied at the end.
 */
export class CompleteRegistrationAsNewAccount {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: {
      ticketId: string;
      account: RegisterAccountInput;
      workspace: NewWorkspaceInput;
      termsAccepted: boolean;
    },
    meta: RequestMeta = {},
  ): Promise<RegistrationResult> {
    if (input.termsAccepted !== true) {
      throw new ValidationError('terms-not-accepted', 'Accept the terms of service to activate.', {
        field: 'termsAccepted',
      });
    }
    const hash = await this.ctx.hasher.hash(validatePassword(input.account?.password));
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const ticket = await loadUsableTicket(tx, input.ticketId, now);
      const journal = new Journal(
        this.ctx.ids,
        now,
        { type: 'system', process: 'registration' },
        meta.requestId,
      );
      const account = await createAccount(this.ctx, tx, journal, input.account, hash, now);
      const by: Actor = { type: 'customer', accountId: account.id };
      const cloudAccount = await registerCloudAccount(this.ctx, tx, journal, ticket, account, now);
      const ws = await createWorkspace(
        this.ctx,
        tx,
        journal,
        {
          ownerAccountId: account.id,
          name: input.workspace?.name,
          language: input.workspace?.language,
          siteId: input.workspace?.siteId ?? defaultSite(this.ctx, ticket.partition),
          method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
          by,
        },
        now,
      );
      ticket.complete(account.id, cloudAccount.id, now);
      await tx.tickets.save(ticket);
      await applyParkedEvents(this.ctx, tx, journal, cloudAccount, now);
      await journal.flush(tx);
      return { account, cloudAccount, workspaces: [await tx.workspaces.get(ws.id).then((w) => w ?? ws)] };
    });
  }
}

/**
 * An existing customer returns from AWS signed in: register the cloud account to them and settle the chosen
 * workspaces through it (locked ones are unlocked by the choice) and/or create a new one. All or nothing.
 */
export class CompleteRegistrationForAccount {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: { ticketId: string; by: Actor; bindWorkspaceIds?: string[]; createWorkspace?: NewWorkspaceInput },
    meta: RequestMeta = {},
  ): Promise<RegistrationResult> {
    if (input.by.type !== 'customer')
      throw new ForbiddenError('customer-only', 'Only a signed-in customer can complete a registration.');
    const accountId = input.by.accountId;
    const bindIds = parseWorkspaceIds(input.bindWorkspaceIds ?? [], 'bindWorkspaceIds', true);
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const ticket = await loadUsableTicket(tx, input.ticketId, now);
      const account = await tx.accounts.get(accountId);
      if (!account) throw new NotFoundError('account', accountId);
      const journal = new Journal(this.ctx.ids, now, input.by, meta.requestId);
      const cloudAccount = await registerCloudAccount(this.ctx, tx, journal, ticket, account, now);
      const workspaces: Workspace[] = [];
      if (bindIds.length) {
        workspaces.push(
          ...(await bindWorkspaces(this.ctx, tx, journal, {
            cloudAccountId: cloudAccount.id,
            workspaceIds: bindIds,
            by: input.by,
            now,
          })),
        );
      }
      if (input.createWorkspace) {
        workspaces.push(
          await createWorkspace(
            this.ctx,
            tx,
            journal,
            {
              ownerAccountId: account.id,
              name: input.createWorkspace.name,
              language: input.createWorkspace.language,
              siteId: input.createWorkspace.siteId ?? defaultSite(this.ctx, ticket.partition),
              method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
              by: input.by,
            },
            now,
          ),
        );
      }
      ticket.complete(account.id, cloudAccount.id, now);
      await tx.tickets.save(ticket);
      await applyParkedEvents(this.ctx, tx, journal, cloudAccount, now);
      await journal.flush(tx);
      const fresh = await tx.workspaces.getMany(workspaces.map((w) => w.id));
      return { account, cloudAccount, workspaces: fresh };
    });
  }
}
