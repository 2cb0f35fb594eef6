import { randomBytes, randomUUID } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** An 11-character customer identifier like AWS's (`X01EXAMPLEX`). */
export function newCustomerIdentifier(): string {
  const bytes = randomBytes(11);
  return [...bytes].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/** `agmt-` and 25 lower-case letters and digits, like AWS's agreement ids. */
export function newAgreementId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `agmt-${[...randomBytes(25)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export function newLicenseArn(partition: string, sellerAccountId: string): string {
  return `arn:${partition}:license-manager::${sellerAccountId}:license:l-${randomBytes(16).toString('hex')}`;
}

/** The trailing `l-…` id of a license ARN (ARNs are matched on it, as the core does). */
export function licenseId(arn: string): string | null {
  return /(?:^|[:/])(l-[A-Za-z0-9]+)$/.exec(arn.trim())?.[1] ?? null;
}

/**
 * Registration tokens are long opaque base64 strings, as AWS's are — with `+`, `/` and `=` padding, so a
 * fulfillment endpoint that mishandles form encoding (a `+` read as a space) fails here as it would on AWS.
 */
export function newRegistrationToken(): string {
  return randomBytes(50).toString('base64');
}

export function newMeteringRecordId(): string {
  return randomUUID();
}

export function regionOf(partition: 'aws' | 'aws-cn'): string {
  return partition === 'aws-cn' ? 'cn-northwest-1' : 'us-east-1';
}

export function partitionOfRegion(region: string): 'aws' | 'aws-cn' {
  return region.startsWith('cn-') ? 'aws-cn' : 'aws';
}
