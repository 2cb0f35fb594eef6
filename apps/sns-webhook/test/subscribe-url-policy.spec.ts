import { describe, expect, it } from 'vitest';
import { SubscribeUrlPolicy } from '../src/sns/subscribe-url-policy.js';

const TOPIC = 'arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-abc';
const CN_TOPIC = 'arn:aws-cn:sns:cn-northwest-1:287250355862:aws-mp-subscription-notification-abc';
const TOKEN = '2336412f37fb687f5d51e6e2425929f52e8e353134fe72d55ef8b330217d82da';
const url = (origin: string, topic = TOPIC, rest = '') =>
  `${origin}/?Action=ConfirmSubscription&TopicArn=${topic}&Token=${TOKEN}${rest}`;

describe('SubscribeUrlPolicy', () => {
  const policy = new SubscribeUrlPolicy(['http://127.0.0.1:4566']);
  const check = (SubscribeURL: string, TopicArn = TOPIC) =>
    policy.check({ SubscribeURL, TopicArn, Token: TOKEN });

  it('accepts the SNS endpoint of the topic’s own region, in both partitions, and a trusted local origin', () => {
    expect(check(url('https://sns.us-east-1.amazonaws.com'))).toEqual({
      ok: true,
      url: url('https://sns.us-east-1.amazonaws.com'),
    });
    expect(check(url('https://sns.cn-northwest-1.amazonaws.com.cn', CN_TOPIC), CN_TOPIC).ok).toBe(true);
    expect(check(url('http://127.0.0.1:4566')).ok).toBe(true);
  });

  it.each([
    ['another region', url('https://sns.us-west-2.amazonaws.com')],
    ['the global host for a China topic', url('https://sns.cn-northwest-1.amazonaws.com', CN_TOPIC)],
    ['plain http to AWS', url('http://sns.us-east-1.amazonaws.com')],
    ['an explicit port', url('https://sns.us-east-1.amazonaws.com:443')],
    ['a look-alike host', url('https://sns.us-east-1.amazonaws.com.example.org')],
    ['credentials', url('https://user@sns.us-east-1.amazonaws.com')],
    ['a fragment', url('https://sns.us-east-1.amazonaws.com', TOPIC, '#x')],
    ['an extra parameter', url('https://sns.us-east-1.amazonaws.com', TOPIC, '&Action=Unsubscribe')],
    ['another topic', url('https://sns.us-east-1.amazonaws.com', `${TOPIC}x`)],
    ['an untrusted local origin', url('http://127.0.0.1:4567')],
    ['a backslash', url('https://sns.us-east-1.amazonaws.com\\@evil.example')],
    ['not a URL', 'sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription'],
  ])('refuses %s', (_label, subscribeUrl) => {
    const topic = subscribeUrl.includes('aws-cn') ? CN_TOPIC : TOPIC;
    const decision = check(subscribeUrl, topic);
    expect(decision.ok).toBe(false);
    if (!decision.ok) expect(decision.reason).toMatch(/^SubscribeURL refused: /);
  });

  it('refuses a token that is not the message’s', () => {
    const decision = policy.check({
      SubscribeURL: url('https://sns.us-east-1.amazonaws.com'),
      TopicArn: TOPIC,
      Token: 'other',
    });
    expect(decision).toEqual({ ok: false, reason: "SubscribeURL refused: its Token is not the message's" });
  });

  it('trusts no local origin unless configured', () => {
    const production = new SubscribeUrlPolicy();
    expect(
      production.check({ SubscribeURL: url('http://127.0.0.1:4566'), TopicArn: TOPIC, Token: TOKEN }).ok,
    ).toBe(false);
  });
});
