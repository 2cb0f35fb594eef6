import type { SnsSubscriptionMessage } from '@billing-center/aws-marketplace';

export type SubscribeUrlDecision =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly reason: string };

// The region of a topic ARN: `arn:<partition>:sns:<region>:<account>:<name>`.
const TOPIC_REGION = /^arn:(aws(?:-[a-z]+)*):sns:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):/;

/**
 * Decides whether a verified SubscriptionConfirmation's SubscribeURL may be fetched. The URL is signed, but
 * it is still a URL from the network, so it is held to the one shape SNS uses: HTTPS to the SNS endpoint of
 * the topic's own region (`sns.<region>.amazonaws.com`, `.com.cn` in China), path `/`, and exactly the
 * query `Action=ConfirmSubscription`, `TopicArn` = the message's TopicArn, `Token` = the message's Token.
 * A trusted local simulator origin (development and tests) replaces the AWS host, nothing else. The URL
 * must also be in the canonical form URL parsing gives, so that the string checked is the string fetched.
 */
export class SubscribeUrlPolicy {
  private readonly localOrigins: ReadonlySet<string>;

  constructor(trustedLocalOrigins: readonly string[] = []) {
    this.localOrigins = new Set(trustedLocalOrigins.map((o) => new URL(o).origin));
  }

  check(message: Pick<SnsSubscriptionMessage, 'SubscribeURL' | 'TopicArn' | 'Token'>): SubscribeUrlDecision {
    const raw = message.SubscribeURL;
    if (typeof raw !== 'string' || raw.length > 4096) return refuse('it is not a URL of reasonable length');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return refuse('it is not a URL');
    }
    if (url.href !== raw) return refuse('it is not in canonical form');
    if (url.username || url.password || url.hash) return refuse('it has credentials or a fragment');
    const arn = TOPIC_REGION.exec(message.TopicArn);
    if (!arn) return refuse('the TopicArn names no region');
    const [, partition, region] = arn as unknown as [string, string, string];
    const awsOrigin = `https://sns.${region}.amazonaws.com${partition === 'aws-cn' ? '.cn' : ''}`;
    if (url.origin !== awsOrigin && !this.localOrigins.has(url.origin)) {
      return refuse(`its origin is not ${awsOrigin}, the SNS endpoint of the topic's region`);
    }
    if (url.pathname !== '/') return refuse('its path is not /');
    const keys = [...url.searchParams.keys()];
    if (keys.length !== 3 || new Set(keys).size !== 3) {
      return refuse('its query is not exactly Action, TopicArn and Token');
    }
    if (url.searchParams.get('Action') !== 'ConfirmSubscription')
      return refuse('its Action is not ConfirmSubscription');
    if (url.searchParams.get('TopicArn') !== message.TopicArn)
      return refuse("its TopicArn is not the message's");
    if (url.searchParams.get('Token') !== message.Token) return refuse("its Token is not the message's");
    return { ok: true, url: raw };
  }
}

function refuse(reason: string): SubscribeUrlDecision {
  return { ok: false, reason: `SubscribeURL refused: ${reason}` };
}
