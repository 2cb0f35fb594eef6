export * from './inbound/certificate-cache.js';
export * from './inbound/certificate-url-policy.js';
export * from './inbound/https-certificate-fetcher.js';
export * from './inbound/marketplace-notification.js';
export * from './inbound/shared-secret.js';
export * from './inbound/sns-message.js';
export {
  SNS_REJECTION_CODES,
  type SnsEnvelopeResult,
  SnsRejection,
  type SnsRejectionCode,
} from './inbound/sns-rejection.js';
export * from './inbound/sns-signature.js';
export * from './inbound/sns-verifier.js';
export * from './outbound/aws-errors.js';
export * from './outbound/aws-marketplace-adapters.js';
export * from './outbound/customer-resolver.js';
export * from './outbound/entitlement-reader.js';
export * from './outbound/marketplace-clients.js';
export * from './outbound/marketplace-config.js';
export * from './outbound/metering-batches.js';
export * from './outbound/metering-gateway.js';
export * from './outbound/token-bucket.js';
