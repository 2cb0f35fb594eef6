import type { Alert, OwnerNotificationTemplate } from '@billing-center/core';
import { type EmailBlock, type EmailDocument, type RenderedEmail, renderEmail } from './email-document.js';

/** What every email says about who sends it; configuration (DESIGN: the brand name is not ours to fix). */
export interface EmailBranding {
  /** The platform's brand name, e.g. "Acme Observability". */
  brandName: string;
  /** The Billing Center the customer signs in to (http(s) URL, no trailing slash needed). */
  consoleUrl: string;
}

/** Every template the core writes into the outbox (`OwnerNotificationTemplate`), each with its email. */
export const OWNER_TEMPLATES = [
  'workspaces-locked',
  'workspace-unlocked',
  'cloud-subscription-cancelled',
  'cloud-subscription-failed',
  'workspace-fully-locked',
] as const satisfies readonly OwnerNotificationTemplate[];

/**
 * Thrown for a template this package has no email for. The outbox keeps the message pending with this
 * error, visible to operators, rather than sending the customer something meaningless.
 */
export class UnknownTemplateError extends Error {
  override readonly name = 'UnknownTemplateError';
  constructor(readonly template: string) {
    super(`No email template "${template}" (known: ${OWNER_TEMPLATES.join(', ')}).`);
  }
}

type Data = Record<string, unknown>;
type Renderer = (data: Data, brand: EmailBranding) => Omit<EmailDocument, 'footer'>;

interface WorkspaceRef {
  id: string;
  name: string;
}

const WORKSPACE_MANAGEMENT = 'Billing Center > Workspace Management';

/** The owner email of a template, from the data the core put into the outbox message. */
export function renderOwnerEmail(template: string, data: Data, brand: EmailBranding): RenderedEmail {
  const render = (OWNER_RENDERERS as Record<string, Renderer | undefined>)[template];
  if (!render || !Object.hasOwn(OWNER_RENDERERS, template)) throw new UnknownTemplateError(template);
  return renderEmail({
    ...render(data, brand),
    footer: `${brand.brandName} Billing Center\nYou receive this email because you own workspaces in the ${brand.brandName} Billing Center.`,
  });
}

/** The operators' email of an alert: severity and code in the subject, every detail listed. */
export function renderOperatorAlert(alert: Alert, brand: EmailBranding): RenderedEmail {
  const details = Object.keys(alert.details ?? {})
    .sort()
    .map((key): [string, string] => [key, describeValue(alert.details[key])]);
  const blocks: EmailBlock[] = [{ kind: 'paragraph', text: alert.message }];
  blocks.push({
    kind: 'fields',
    rows: [['Severity', alert.severity], ['Code', alert.code], ...details],
  });
  blocks.push({ kind: 'action', label: 'Billing Center', url: brand.consoleUrl });
  return renderEmail({
    subject: `[${alert.severity.toUpperCase()}] ${alert.code}: ${alert.message} (${brand.brandName} Billing Center)`,
    blocks,
    footer: `Sent to the operators of the ${brand.brandName} Billing Center.`,
  });
}

const OWNER_RENDERERS: Record<OwnerNotificationTemplate, Renderer> = {
  'workspaces-locked': (data, brand) => {
    const workspaces = workspacesOf(data);
    const reason = text(data, 'reason');
    const one = workspaces.length === 1;
    const intro =
      reason === 'arrears'
        ? `Your ${brand.brandName} Billing Center balance is in arrears, so ${one ? 'this workspace has' : 'these workspaces have'} been locked:`
        : reason === 'operator'
          ? `An operator of ${brand.brandName} has locked ${one ? 'this workspace' : 'these workspaces'}:`
          : `${one ? 'This workspace has' : 'These workspaces have'} been locked${reason ? ` (${reason})` : ''}:`;
    const next: EmailBlock[] =
      reason === 'operator'
        ? [
            {
              kind: 'paragraph',
              text: `Only ${brand.brandName} support can unlock ${one ? 'it' : 'them'}; please contact support. ${graceSentence(data, brand, one, false)}`,
            },
          ]
        : [
            {
              kind: 'paragraph',
              text:
                reason === 'arrears'
                  ? `To unlock ${one ? 'it' : 'them'}, settle the arrears of your Billing Center balance, or choose a registered AWS account as the billing method in ${WORKSPACE_MANAGEMENT}.`
                  : `To unlock ${one ? 'it' : 'them'}, choose another billing method in ${WORKSPACE_MANAGEMENT}.`,
            },
            { kind: 'paragraph', text: graceSentence(data, brand, one) },
          ];
    return {
      subject: one
        ? `Workspace "${workspaces[0]!.name}" is locked`
        : `${workspaces.length} workspaces are locked`,
      blocks: [
        { kind: 'paragraph', text: intro },
        workspaceList(workspaces),
        ...next,
        { kind: 'action', label: `Open ${WORKSPACE_MANAGEMENT}`, url: brand.consoleUrl },
      ],
    };
  },

  'cloud-subscription-cancelled': (data, brand) => subscriptionEnded('cancelled', data, brand),
  'cloud-subscription-failed': (data, brand) => subscriptionEnded('failed', data, brand),

  'workspace-unlocked': (data, brand) => {
    const workspaces = workspacesOf(data);
    const one = workspaces.length === 1;
    const method = text(data, 'billingMethod');
    const cloudAccountId = text(data, 'cloudAccountId');
    const blocks: EmailBlock[] = [];
    if (method) {
      blocks.push(
        {
          kind: 'paragraph',
          text: `${one ? 'This workspace is' : 'These workspaces are'} unlocked and settled by ${describeBillingMethod(method, brand)} from the next full hour (UTC):`,
        },
        workspaceList(workspaces),
      );
    } else {
      blocks.push(
        {
          kind: 'paragraph',
          text: `Your AWS Marketplace subscription is active again, so the ${one ? 'workspace' : 'workspaces'} its cancellation locked ${one ? 'is' : 'are'} unlocked and settled by that AWS account again from the next full hour (UTC):`,
        },
        workspaceList(workspaces),
      );
      if (cloudAccountId)
        blocks.push({ kind: 'fields', rows: [['Registered cloud account', cloudAccountId]] });
    }
    blocks.push({ kind: 'action', label: `Open ${WORKSPACE_MANAGEMENT}`, url: brand.consoleUrl });
    return {
      subject: one
        ? `Workspace "${workspaces[0]!.name}" is unlocked`
        : `${workspaces.length} workspaces are unlocked`,
      blocks,
    };
  },

  'workspace-fully-locked': (data, brand) => {
    const workspaces = workspacesOf(data);
    const one = workspaces.length === 1;
    return {
      subject: one
        ? `Workspace "${workspaces[0]!.name}" is now fully locked`
        : `${workspaces.length} workspaces are now fully locked`,
      blocks: [
        {
          kind: 'paragraph',
          text: `The grace period of ${one ? 'this locked workspace' : 'these locked workspaces'} has ended without ${one ? 'it' : 'them'} being unlocked, so ${one ? 'it is' : 'they are'} now fully locked: ${brand.brandName} no longer accepts ${one ? 'its' : 'their'} data.`,
        },
        workspaceList(workspaces),
        {
          kind: 'paragraph',
          text: `${one ? 'It' : 'They'} can no longer be unlocked in the Billing Center; please contact ${brand.brandName} support to restore ${one ? 'it' : 'them'}.`,
        },
        { kind: 'action', label: `Open ${WORKSPACE_MANAGEMENT}`, url: brand.consoleUrl },
      ],
    };
  },
};

function subscriptionEnded(
  how: 'cancelled' | 'failed',
  data: Data,
  brand: EmailBranding,
): Omit<EmailDocument, 'footer'> {
  const workspaces = workspacesOf(data);
  const one = workspaces.length === 1;
  const awsAccount = text(data, 'customerAwsAccountId');
  const ofAccount = awsAccount ? ` of AWS account ${awsAccount}` : '';
  const blocks: EmailBlock[] = [
    {
      kind: 'paragraph',
      text:
        how === 'cancelled'
          ? `The ${brand.brandName} subscription${ofAccount} was cancelled in AWS Marketplace.`
          : `The ${brand.brandName} subscription${ofAccount} in AWS Marketplace failed: AWS could not complete it.`,
    },
  ];
  if (workspaces.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'No workspace was settled by it, so none was locked.' });
  } else {
    blocks.push(
      {
        kind: 'paragraph',
        text: `${one ? 'The workspace it settled has' : 'All the workspaces it settled have'} been unlinked from it and locked:`,
      },
      workspaceList(workspaces),
      {
        kind: 'paragraph',
        text: `To unlock ${one ? 'it' : 'them'}, choose another billing method in ${WORKSPACE_MANAGEMENT}: Billing Center settlement, another registered AWS account with an active subscription, or subscribe again${awsAccount ? ` with AWS account ${awsAccount}` : ''} in AWS Marketplace, which re-binds and unlocks ${one ? 'it' : 'them'} automatically.`,
      },
      { kind: 'paragraph', text: graceSentence(data, brand, one) },
    );
  }
  const rows: Array<[string, string]> = [];
  if (awsAccount) rows.push(['AWS account', awsAccount]);
  const cloudAccountId = text(data, 'cloudAccountId');
  if (cloudAccountId) rows.push(['Registered cloud account', cloudAccountId]);
  if (rows.length) blocks.push({ kind: 'fields', rows });
  blocks.push({ kind: 'action', label: `Open ${WORKSPACE_MANAGEMENT}`, url: brand.consoleUrl });
  const locked = workspaces.length
    ? `: ${workspaces.length === 1 ? `workspace "${workspaces[0]!.name}" is` : `${workspaces.length} workspaces are`} locked`
    : '';
  return {
    subject: `AWS Marketplace subscription${ofAccount} ${how}${locked}`,
    blocks,
  };
}

/**
 * What the customer can still do while locked, and until when. The date comes from `graceEndsAt` (on the
 * message or on each workspace); without it, from `graceDays`.
 */
function graceSentence(data: Data, brand: EmailBranding, one: boolean, canUnlock = true): string {
  const endsAt = graceEndsAt(data);
  const days = data.graceDays;
  const period = endsAt
    ? `Until ${formatDate(endsAt)} (the end of the grace period)`
    : typeof days === 'number' && Number.isFinite(days)
      ? `For ${days} ${days === 1 ? 'day' : 'days'} from the lock (the grace period)`
      : 'During the grace period';
  const [it, its] = one ? ['it', 'its'] : ['them', 'their'];
  const can = canUnlock
    ? `read ${its} history, unlock ${it} or dissolve ${it}`
    : `read ${its} history or dissolve ${it}`;
  return `${period} you can still ${can}. After that ${one ? 'it is' : 'they are'} fully locked, and ${brand.brandName} stops accepting ${its} data.`;
}

function graceEndsAt(data: Data): Date | null {
  const candidates = [data.graceEndsAt, ...rawWorkspaces(data).map((w) => (w as Data | null)?.graceEndsAt)];
  const dates = candidates
    .filter((v): v is string => typeof v === 'string')
    .map((v) => new Date(v))
    .filter((d) => Number.isFinite(d.getTime()));
  if (!dates.length) return null;
  return new Date(Math.min(...dates.map((d) => d.getTime())));
}

/** "2026-11-16 10:15 UTC": unambiguous in every language and time zone. */
export function formatDate(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function describeBillingMethod(method: string, brand: EmailBranding): string {
  if (method === 'billing-center') return `your ${brand.brandName} Billing Center balance`;
  if (method.startsWith('cloud-account:'))
    return `the registered AWS account ${method.slice('cloud-account:'.length)} (AWS Marketplace)`;
  return method;
}

function workspaceList(workspaces: WorkspaceRef[]): EmailBlock {
  return { kind: 'list', items: workspaces.map((w) => `${w.name} (ID: ${w.id})`) };
}

function rawWorkspaces(data: Data): unknown[] {
  return Array.isArray(data.workspaces) ? data.workspaces : [];
}

/** `workspaces: [{ id, name }]`, or the single `workspaceId` / `workspaceName` of one-workspace messages. */
function workspacesOf(data: Data): WorkspaceRef[] {
  const list = rawWorkspaces(data)
    .map((w) => w as Data | null)
    .filter((w): w is Data => typeof w === 'object' && w !== null)
    .map((w) => ({
      id: String(w.id ?? w.workspaceId ?? '?'),
      name: String(w.name ?? w.workspaceName ?? '?'),
    }));
  const id = text(data, 'workspaceId');
  if (id && !list.some((w) => w.id === id)) list.push({ id, name: text(data, 'workspaceName') ?? id });
  return list;
}

function text(data: Data, key: string): string | undefined {
  const v = data[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (value === undefined) return '(none)';
  return JSON.stringify(value) ?? String(value);
}
