import type { SnsSubscriptionMessage } from '@billing-center/aws-marketplace';
import { SubscribeUrlPolicy } from './subscribe-url-policy.js';

/** One HTTP GET, answering the status and (a bounded prefix of) the body. The only outbound request. */
export interface HttpGet {
  get(url: string): Promise<{ status: number; body: string }>;
}
export const HttpGet = Symbol('HttpGet');

const MAX_ANSWER_CHARS = 4096;

/** `fetch` with no redirects (a redirect would fetch a URL the policy never saw) and a timeout. */
export class FetchHttpGet implements HttpGet {
  constructor(private readonly timeoutMs = 10_000) {}

  async get(url: string): Promise<{ status: number; body: string }> {
    const response = await fetch(url, {
      method: 'GET',
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await response.text()).slice(0, MAX_ANSWER_CHARS);
    return { status: response.status, body };
  }
}

export type ConfirmationResult =
  | { readonly outcome: 'confirmed'; readonly subscriptionArn: string | null }
  | { readonly outcome: 'refused'; readonly reason: string }
  | { readonly outcome: 'failed'; readonly reason: string };

/**
 * Confirms an SNS subscription by a GET of its SubscribeURL — only after the message verified (so its topic
 * is allow-listed) and only when {@link SubscribeUrlPolicy} accepts the URL. Nothing else is ever fetched.
 */
export class SubscriptionConfirmer {
  private readonly policy: SubscribeUrlPolicy;

  constructor(
    private readonly http: HttpGet,
    trustedLocalOrigins: readonly string[] = [],
  ) {
    this.policy = new SubscribeUrlPolicy(trustedLocalOrigins);
  }

  async confirm(message: SnsSubscriptionMessage): Promise<ConfirmationResult> {
    const decision = this.policy.check(message);
    if (!decision.ok) return { outcome: 'refused', reason: decision.reason };
    let answer: { status: number; body: string };
    try {
      answer = await this.http.get(decision.url);
    } catch (e) {
      return { outcome: 'failed', reason: `the SubscribeURL could not be reached: ${errorText(e)}` };
    }
    if (answer.status !== 200) {
      return { outcome: 'failed', reason: `the SubscribeURL answered HTTP ${answer.status}` };
    }
    // <ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>…
    const arn = /<SubscriptionArn>([^<]{1,1024})<\/SubscriptionArn>/.exec(answer.body)?.[1] ?? null;
    return { outcome: 'confirmed', subscriptionArn: arn };
  }
}

function errorText(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : '';
  return `${e instanceof Error ? e.message : String(e)}${cause}`;
}
