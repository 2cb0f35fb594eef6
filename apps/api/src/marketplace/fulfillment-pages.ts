import type { AwsPartition } from '@billing-center/core';

/**
 * The small HTML pages a buyer sees when the fulfillment URL cannot send them on to the Billing Center: each
 * says what happened and what to do next. No scripts, no external resources, nothing from the token.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export interface FulfillmentPage {
  status: number;
  title: string;
  message: string;
  /** What the buyer can do, as links. */
  actions: Array<{ label: string; href: string }>;
  retryAfterSeconds?: number;
}

const yourSoftware = (partition: AwsPartition) =>
  partition === 'aws-cn'
    ? 'https://awsmarketplace.amazonaws.cn/library'
    : 'https://aws.amazon.com/marketplace/library';

/** The page for each outcome of resolving a token (by the core's error code). */
export function fulfillmentPage(
  code: string,
  partition: AwsPartition,
  publicUrl: string,
  requestId: string,
): FulfillmentPage {
  const again = {
    label: 'Open "Your Marketplace software" in AWS Marketplace',
    href: yourSoftware(partition),
  };
  const signIn = { label: 'Sign in to the Billing Center', href: `${publicUrl}/` };
  switch (code) {
    case 'marketplace-token-missing':
      return {
        status: 400,
        title: 'No AWS Marketplace registration was received',
        message:
          'This page expects the registration that AWS Marketplace sends when you click "Set up your account". ' +
          'Open the product in "Your Marketplace software" and click "Set up your account" there.',
        actions: [again, signIn],
      };
    case 'marketplace-token-invalid':
      return {
        status: 400,
        title: 'This AWS Marketplace link is not valid',
        message:
          'AWS Marketplace did not recognise the registration it sent here (it may be incomplete or for another ' +
          'AWS Marketplace region). Open the product in "Your Marketplace software" and click "Set up your account" again.',
        actions: [again, signIn],
      };
    case 'marketplace-token-expired':
      return {
        status: 410,
        title: 'This AWS Marketplace link has expired',
        message:
          'The registration from AWS Marketplace is only valid for a short time. Open the product in ' +
          '"Your Marketplace software" and click "Set up your account" again to get a fresh one.',
        actions: [again, signIn],
      };
    case 'marketplace-token-used':
      return {
        status: 409,
        title: 'This AWS Marketplace registration is already set up',
        message:
          'The subscription behind this link has already been registered with a Billing Center account. ' +
          'Sign in to see it under Cloud Accounts; to register it again, click "Set up your account" in AWS Marketplace.',
        actions: [signIn, again],
      };
    case 'marketplace-throttled':
      return {
        status: 429,
        title: 'AWS Marketplace is busy',
        message:
          'AWS Marketplace asked us to slow down while we confirmed your subscription. Wait a minute, then go ' +
          'back to AWS Marketplace and click "Set up your account" again. Nothing was lost.',
        actions: [again],
        retryAfterSeconds: 60,
      };
    case 'marketplace-unavailable':
      return {
        status: 503,
        title: 'AWS Marketplace is not answering',
        message:
          'We could not confirm your subscription with AWS Marketplace just now. Try "Set up your account" ' +
          'again in a few minutes. Your subscription itself is not affected.',
        actions: [again],
        retryAfterSeconds: 120,
      };
    case 'rate-limited':
      return {
        status: 429,
        title: 'Too many attempts',
        message:
          'Too many registrations arrived from your network in a short time. Wait a minute, then click ' +
          '"Set up your account" in AWS Marketplace again.',
        actions: [again],
        retryAfterSeconds: 60,
      };
    case 'unknown-marketplace-product':
      return {
        status: 400,
        title: 'This product is not sold through this Billing Center',
        message:
          'The AWS Marketplace product you subscribed to is not one this Billing Center settles. Check that you ' +
          'opened the right product, or contact support.',
        actions: [again],
      };
    case 'marketplace-partition-not-configured':
    case 'marketplace-api-disabled':
      return {
        status: 503,
        title: 'AWS Marketplace registration is not available right now',
        message: `The Billing Center cannot confirm AWS Marketplace subscriptions at the moment. Please contact support and quote request ${requestId}.`,
        actions: [signIn],
      };
    default:
      return {
        status: 500,
        title: 'Something went wrong',
        message: `We could not complete your AWS Marketplace registration. Try "Set up your account" again; if it keeps failing, contact support and quote request ${requestId}.`,
        actions: [again, signIn],
      };
  }
}

export function renderPage(page: FulfillmentPage): string {
  const actions = page.actions
    .map((a) => `<li><a href="${esc(a.href)}" rel="noreferrer">${esc(a.label)}</a></li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(page.title)} · Billing Center</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}h1{font-size:1.4rem}</style>
</head>
<body>
<main>
<h1>${esc(page.title)}</h1>
<p>${esc(page.message)}</p>
<ul>${actions}</ul>
</main>
</body>
</html>
`;
}
