export * from './inbound/certificate-cache.js';
export * from './inbound/certificate-url-policy.js';
export * from './inbound/https-certificate-fetcher.js';
export * from './inbound/sns-message.js';
export {
  SNS_REJECTION_CODES,
  type SnsEnvelopeResult,
  SnsRejection,
  type SnsRejectionCode,
} from './inbound/sns-rejection.js';
export * from './inbound/sns-signature.js';
export * from './inbound/sns-verifier.js';
