import {
  DisabledApiException,
  ExpiredTokenException,
  InternalServiceErrorException,
  InvalidTokenException,
  ResolveCustomerCommand,
  ThrottlingException,
} from '@aws-sdk/client-marketplace-metering';
import { DomainError } from '@billing-center/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsCustomerResolver } from '../src/outbound/customer-resolver.js';
import { LICENSE, lostResponse, meteringClient } from './support/metering-fixtures.js';

const meta = { $metadata: {} };
const TOKEN = 'secret-registration-token-7f3a';
const client = meteringClient();
const cnClient = meteringClient('cn-northwest-1');
const aws = mockClient(client);
const cn = mockClient(cnClient);
const resolver = new AwsCustomerResolver({ aws: client, 'aws-cn': cnClient });

afterEach(() => {
  aws.reset();
  cn.reset();
});

async function failure(partition: 'aws' | 'aws-cn' = 'aws'): Promise<Error> {
  const err = await resolver.resolve(partition, TOKEN).then(
    () => null,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error('expected resolve to fail');
  // The token is a bearer credential: it never appears in what gets logged.
  expect(`${err.message} ${JSON.stringify(err)} ${err.stack}`).not.toContain(TOKEN);
  return err;
}

describe('AwsCustomerResolver', () => {
  it('resolves a current product buyer (license ARN and AWS account)', async () => {
    aws.on(ResolveCustomerCommand, { RegistrationToken: TOKEN }).resolves({
      ...meta,
      ProductCode: 'prod-a',
      CustomerIdentifier: 'X01EXAMPLEX',
      CustomerAWSAccountId: '845735284135',
      LicenseArn: LICENSE,
    });
    await expect(resolver.resolve('aws', TOKEN)).resolves.toEqual({
      productCode: 'prod-a',
      customerIdentifier: 'X01EXAMPLEX',
      customerAwsAccountId: '845735284135',
      licenseArn: LICENSE,
    });
  });

  it('resolves a legacy buyer, with nulls for what AWS leaves out, through the China client', async () => {
    cn.on(ResolveCustomerCommand).resolves({ ...meta, ProductCode: 'prod-cn', CustomerIdentifier: 'C1' });
    await expect(resolver.resolve('aws-cn', TOKEN)).resolves.toEqual({
      productCode: 'prod-cn',
      customerIdentifier: 'C1',
      customerAwsAccountId: null,
      licenseArn: null,
    });
    expect(aws.commandCalls(ResolveCustomerCommand)).toHaveLength(0);
  });

  it.each([
    [
      'InvalidTokenException',
      new InvalidTokenException({ message: 'bad', ...meta }),
      'validation',
      'marketplace-token-invalid',
    ],
    [
      'ExpiredTokenException',
      new ExpiredTokenException({ message: 'old', ...meta }),
      'validation',
      'marketplace-token-expired',
    ],
    [
      'ThrottlingException',
      new ThrottlingException({ message: 'slow', ...meta }),
      'unavailable',
      'marketplace-throttled',
    ],
    [
      'InternalServiceErrorException',
      new InternalServiceErrorException({ message: 'x', ...meta }),
      'unavailable',
      'marketplace-unavailable',
    ],
    [
      'a 503',
      Object.assign(new Error('Service Unavailable'), {
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      }),
      'unavailable',
      'marketplace-unavailable',
    ],
    ['a network failure', lostResponse(), 'unavailable', 'marketplace-unavailable'],
    [
      'DisabledApiException',
      new DisabledApiException({ message: 'off', ...meta }),
      'unavailable',
      'marketplace-api-disabled',
    ],
  ])('maps %s to its own domain outcome', async (_, awsError, kind, code) => {
    aws.on(ResolveCustomerCommand).rejects(awsError);
    const err = await failure();
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind, code });
  });

  it('throws a fault (not a domain error) for a refusal that is the operator’s problem', async () => {
    aws
      .on(ResolveCustomerCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client' }));
    const err = await failure();
    expect(err).not.toBeInstanceOf(DomainError);
    expect(err.message).toContain('AccessDeniedException');
  });

  it('refuses an empty token and an unconfigured partition without calling AWS', async () => {
    await expect(resolver.resolve('aws', ' ')).rejects.toMatchObject({ code: 'marketplace-token-invalid' });
    await expect(new AwsCustomerResolver({}).resolve('aws-cn', TOKEN)).rejects.toMatchObject({
      code: 'marketplace-partition-not-configured',
    });
    expect(aws.commandCalls(ResolveCustomerCommand)).toHaveLength(0);
  });

  it('treats an answer without a product code as AWS being unavailable', async () => {
    aws.on(ResolveCustomerCommand).resolves({ ...meta, CustomerIdentifier: 'C1' });
    expect(await failure()).toMatchObject({ code: 'marketplace-unavailable' });
  });
});
