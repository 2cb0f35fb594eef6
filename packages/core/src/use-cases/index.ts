import {
  AuthenticateApiToken,
  IssueApiToken,
  ListApiTokens,
  RevokeApiToken,
} from './access/api-tokens.use-case.js';
import {
  AuthenticateServiceKey,
  IssueServiceKey,
  ListServiceKeys,
  RevokeServiceKey,
} from './access/service-keys.use-case.js';
import { AuthenticateSession, SignIn, SignOut } from './access/sessions.use-case.js';
import { AuthenticateAccount } from './accounts/authenticate-account.use-case.js';
import { RegisterAccount } from './accounts/register-account.use-case.js';
import { SetAnyBillingMethod } from './accounts/set-any-billing-method.use-case.js';
import type { CoreContext } from './core-context.js';
import {
  ApplyParkedMarketplaceEvents,
  ProcessMarketplaceEvent,
  ProcessPendingMarketplaceEvents,
  ReceiveMarketplaceEvent,
  ReceiveMarketplaceEvents,
} from './lifecycle/marketplace-events.use-case.js';
import { PlanMetering } from './metering/plan-metering.use-case.js';
import { RecordUsage } from './metering/record-usage.use-case.js';
import { SubmitMetering } from './metering/submit-metering.use-case.js';
import { DispatchOutbox } from './outbox/dispatch-outbox.use-case.js';
import {
  AccountQueries,
  AuditQueries,
  CloudAccountQueries,
  WorkspaceQueries,
} from './queries/queries.use-case.js';
import {
  CompleteRegistrationAsNewAccount,
  CompleteRegistrationForAccount,
  GetRegistrationTicket,
  OpenRegistrationTicket,
} from './registration/registration.use-case.js';
import { BindWorkspacesToCloudAccount } from './workspaces/bind-workspaces.use-case.js';
import { ChangeBillingMethod, UnlockWorkspace } from './workspaces/change-billing-method.use-case.js';
import { CreateWorkspace } from './workspaces/create-workspace.use-case.js';
import { DissolveWorkspace } from './workspaces/dissolve-workspace.use-case.js';
import { ExpireLockGrace } from './workspaces/expire-lock-grace.use-case.js';
import { LockWorkspace } from './workspaces/lock-workspace.use-case.js';
import { SyncWorkspace } from './workspaces/sync-workspace.use-case.js';

/**
 * Every use case, built over one context. Apps bind `CoreContext` in their container and resolve this
 * (or single use cases) from it; the core itself stays free of the DI framework.
 */
export function createUseCases(ctx: CoreContext) {
  return {
    registerAccount: new RegisterAccount(ctx),
    authenticateAccount: new AuthenticateAccount(ctx),
    setAnyBillingMethod: new SetAnyBillingMethod(ctx),
    signIn: new SignIn(ctx),
    authenticateSession: new AuthenticateSession(ctx),
    signOut: new SignOut(ctx),
    issueApiToken: new IssueApiToken(ctx),
    listApiTokens: new ListApiTokens(ctx),
    revokeApiToken: new RevokeApiToken(ctx),
    authenticateApiToken: new AuthenticateApiToken(ctx),
    issueServiceKey: new IssueServiceKey(ctx),
    listServiceKeys: new ListServiceKeys(ctx),
    revokeServiceKey: new RevokeServiceKey(ctx),
    authenticateServiceKey: new AuthenticateServiceKey(ctx),
    createWorkspace: new CreateWorkspace(ctx),
    changeBillingMethod: new ChangeBillingMethod(ctx),
    unlockWorkspace: new UnlockWorkspace(ctx),
    bindWorkspaces: new BindWorkspacesToCloudAccount(ctx),
    lockWorkspace: new LockWorkspace(ctx),
    dissolveWorkspace: new DissolveWorkspace(ctx),
    expireLockGrace: new ExpireLockGrace(ctx),
    openRegistrationTicket: new OpenRegistrationTicket(ctx),
    getRegistrationTicket: new GetRegistrationTicket(ctx),
    completeRegistrationAsNewAccount: new CompleteRegistrationAsNewAccount(ctx),
    completeRegistrationForAccount: new CompleteRegistrationForAccount(ctx),
    receiveMarketplaceEvent: new ReceiveMarketplaceEvent(ctx),
    receiveMarketplaceEvents: new ReceiveMarketplaceEvents(ctx),
    processMarketplaceEvent: new ProcessMarketplaceEvent(ctx),
    processPendingMarketplaceEvents: new ProcessPendingMarketplaceEvents(ctx),
    applyParkedMarketplaceEvents: new ApplyParkedMarketplaceEvents(ctx),
    recordUsage: new RecordUsage(ctx),
    planMetering: new PlanMetering(ctx),
    submitMetering: new SubmitMetering(ctx),
    dispatchOutbox: new DispatchOutbox(ctx),
    syncWorkspace: new SyncWorkspace(ctx),
    accounts: new AccountQueries(ctx),
    workspaces: new WorkspaceQueries(ctx),
    cloudAccounts: new CloudAccountQueries(ctx),
    audit: new AuditQueries(ctx),
  };
}
export type UseCases = ReturnType<typeof createUseCases>;
/** The container token under which apps bind `createUseCases(ctx)`. */
export const UseCases = Symbol('UseCases');

export * from './access/api-tokens.use-case.js';
export * from './access/service-keys.use-case.js';
export * from './access/sessions.use-case.js';
export * from './accounts/authenticate-account.use-case.js';
export * from './accounts/register-account.use-case.js';
export * from './accounts/set-any-billing-method.use-case.js';
export * from './core-context.js';
export * from './lifecycle/marketplace-events.use-case.js';
export * from './metering/plan-metering.use-case.js';
export * from './metering/record-usage.use-case.js';
export * from './metering/submit-metering.use-case.js';
export * from './outbox/dispatch-outbox.use-case.js';
export * from './queries/queries.use-case.js';
export * from './queries/workspace-list-cache.js';
export * from './registration/registration.use-case.js';
export * from './workspaces/bind-workspaces.use-case.js';
export * from './workspaces/change-billing-method.use-case.js';
export * from './workspaces/create-workspace.use-case.js';
export * from './workspaces/dissolve-workspace.use-case.js';
export * from './workspaces/expire-lock-grace.use-case.js';
export * from './workspaces/lock-workspace.use-case.js';
export * from './workspaces/sync-workspace.use-case.js';
