import { ConflictError } from '../../shared/domain-error.js';
import type { AwsPartition } from '../site/site.js';

export type TicketStatus = 'open' | 'completed';

/**
 * Created when AWS posts `x-amzn-marketplace-token` to the fulfillment URL. The token is resolved at once
 * and never stored; the browser only ever sees this ticket's opaque, expiring id.
 */
export class RegistrationTicket {
  id!: string;
  partition!: AwsPartition;
  productCode!: string;
  customerIdentifier!: string | null;
  customerAwsAccountId!: string | null;
  licenseArn!: string | null;
  offerId!: string | null;
  freeTrial!: boolean;
  status!: TicketStatus;
  createdAt!: Date;
  expiresAt!: Date;
  completedAt!: Date | null;
  completedByAccountId!: string | null;
  cloudAccountId!: string | null;
  version!: number;

  constructor(props: Omit<RegistrationTicket, 'isExpired' | 'assertUsable' | 'complete'>) {
    Object.assign(this, props);
  }

  isExpired(now: Date): boolean {
    return now.getTime() >= this.expiresAt.getTime();
  }

  assertUsable(now: Date): void {
    if (this.status === 'completed') {
      throw new ConflictError(
        'registration-ticket-used',
        'This AWS Marketplace registration has already been completed. Sign in to see the registered cloud account.',
        { ticketId: this.id },
      );
    }
    if (this.isExpired(now)) {
      throw new ConflictError(
        'registration-ticket-expired',
        'This AWS Marketplace registration link has expired. Open the product in AWS Marketplace and click "Set up your account" again.',
        { ticketId: this.id },
      );
    }
  }

  complete(accountId: string, cloudAccountId: string, now: Date): void {
    this.assertUsable(now);
    this.status = 'completed';
    this.completedAt = now;
    this.completedByAccountId = accountId;
    this.cloudAccountId = cloudAccountId;
  }
}
