import { describe, expect, it } from 'vitest';
import { describeCustomerRef, licenseIdOf } from '../../src/domain/cloud-account/customer-ref.js';

describe('licenseIdOf', () => {
  it('takes the trailing l-… id of a full license ARN', () => {
    expect(licenseIdOf('arn:aws:license-manager::123456789012:license:l-0abc123')).toBe('l-0abc123');
    expect(licenseIdOf('arn:aws-cn:license-manager::123456789012:license:l-ABCdef09')).toBe('l-ABCdef09');
  });

  it('accepts the EventBridge form without "arn:", a "/" separator and a bare id', () => {
    expect(licenseIdOf('aws:license-manager::123456789012:license:l-0abc123')).toBe('l-0abc123');
    expect(licenseIdOf('license-manager::123456789012:license/l-0abc123')).toBe('l-0abc123');
    expect(licenseIdOf('l-0abc123')).toBe('l-0abc123');
    expect(licenseIdOf('  l-0abc123\n')).toBe('l-0abc123');
  });

  it('is null for anything without a trailing license id', () => {
    expect(licenseIdOf(null)).toBeNull();
    expect(licenseIdOf(undefined)).toBeNull();
    expect(licenseIdOf('')).toBeNull();
    expect(licenseIdOf('arn:aws:license-manager::123456789012:license:')).toBeNull();
    expect(licenseIdOf('arn:aws:license-manager::123456789012:license:l-')).toBeNull();
    expect(licenseIdOf('arn:aws:license-manager::123456789012:license:l-abc/extra')).toBeNull();
    expect(licenseIdOf('arn:aws:license-manager::123456789012:license:xl-abc')).toBeNull();
    expect(licenseIdOf('arn:aws:license-manager::123456789012:license:l-ab_c')).toBeNull();
  });
});

describe('describeCustomerRef', () => {
  it('names every identity that is present, in a fixed order', () => {
    expect(
      describeCustomerRef({
        partition: 'aws',
        productCode: 'prod1',
        customerIdentifier: 'CUST1',
        customerAwsAccountId: '123456789012',
        licenseArn: 'arn:aws:license-manager::123456789012:license:l-abc',
        agreementId: 'agmt-1',
        offerId: 'offer-1',
      }),
    ).toBe('aws, product prod1, customer CUST1, AWS account 123456789012, license l-abc, agreement agmt-1');
  });

  it('leaves out missing identities and shows an unparseable license as given', () => {
    expect(describeCustomerRef({ partition: 'aws-cn' })).toBe('aws-cn');
    expect(describeCustomerRef({ partition: 'aws', licenseArn: 'weird-license', productCode: null })).toBe(
      'aws, license weird-license',
    );
  });
});
