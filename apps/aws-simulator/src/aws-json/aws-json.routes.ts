import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { partitionOfRegion } from '../marketplace/ids.js';
import type { BatchMeterUsageOutput } from '../marketplace/marketplace.js';
import type { SimulatorServices } from '../simulator-services.js';
import { AwsError } from './aws-error.js';
import { signedAccessKey, signedRegion } from './sigv4.js';

/** The services on the AWS JSON 1.1 protocol: X-Amz-Target prefix → Smithy namespace of their errors. */
const SERVICES: Record<string, string> = {
  AWSMPMeteringService: 'com.amazonaws.marketplacemetering',
  AWSMPEntitlementService: 'com.amazonaws.marketplaceentitlementservice',
};

/** Errors raised by AWS's request layer rather than the service carry Coral's namespaces. */
const FRAMEWORK_NAMESPACES: Record<string, string> = {
  ValidationException: 'com.amazon.coral.validate',
  SerializationException: 'com.amazon.coral.service',
  UnknownOperationException: 'com.amazon.coral.service',
};

export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

// Bodies go out as Buffers so that Fastify adds no `; charset=utf-8`: AWS sends the bare media type.
export function sendJsonError(reply: FastifyReply, target: string, error: AwsError): FastifyReply {
  const namespace =
    FRAMEWORK_NAMESPACES[error.code] ?? SERVICES[target.split('.')[0] ?? ''] ?? 'com.amazon.coral.service';
  return reply
    .code(error.statusCode)
    .header('content-type', AWS_JSON_CONTENT_TYPE)
    .header('x-amzn-requestid', randomUUID())
    .header('x-amzn-errortype', `${error.code}:http://internal.amazon.com/coral/${namespace}/`)
    .send(Buffer.from(JSON.stringify({ __type: `${namespace}#${error.code}`, message: error.message })));
}

/**
 * POST / with X-Amz-Target: ResolveCustomer, BatchMeterUsage, GetEntitlements. Faults are drawn first
 * (throttling, 5xx); a lost response is applied first and then the connection is destroyed unanswered.
 */
export async function handleAwsJson(
  services: SimulatorServices,
  target: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const region = signedRegion(request.headers.authorization);
  const partition = partitionOfRegion(region);
  const log = (
    outcome: string,
    recordCount: number | null = null,
    statuses: Record<string, number> | null = null,
  ) => services.calls.record({ target, region, recordCount, outcome, statuses });
  const body = (request.body ?? {}) as Record<string, unknown>;
  const recordCount =
    target === 'AWSMPMeteringService.BatchMeterUsage' && Array.isArray(body.UsageRecords)
      ? body.UsageRecords.length
      : null;

  const fault = services.faults.drawCallFault(
    target,
    `${signedAccessKey(request.headers.authorization)}/${region}`,
  );
  if (fault === 'throttle' || fault === 'rate-limit') {
    log(`fault:${fault}`, recordCount);
    return sendJsonError(reply, target, new AwsError('ThrottlingException', 'Rate exceeded'));
  }
  if (fault === 'server-error') {
    log('fault:server-error', recordCount);
    return sendJsonError(
      reply,
      target,
      new AwsError('InternalServiceErrorException', 'An internal error has occurred', 500),
    );
  }

  let result: unknown;
  let statuses: Record<string, number> | null = null;
  try {
    if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body))
      throw new AwsError('SerializationException', 'The request body is not a JSON object');
    switch (target) {
      case 'AWSMPMeteringService.ResolveCustomer':
        result = services.marketplace.resolveCustomer(body.RegistrationToken, partition);
        break;
      case 'AWSMPMeteringService.BatchMeterUsage': {
        const out: BatchMeterUsageOutput = services.marketplace.batchMeterUsage(body, partition);
        statuses = {
          Success: 0,
          DuplicateRecord: 0,
          CustomerNotSubscribed: 0,
          Unprocessed: out.UnprocessedRecords.length,
        };
        for (const r of out.Results) statuses[r.Status] = (statuses[r.Status] ?? 0) + 1;
        result = out;
        break;
      }
      case 'AWSMPMeteringService.MeterUsage':
        result = services.marketplace.meterUsage(
          body,
          partition,
          signedAccessKey(request.headers.authorization),
        );
        break;
      case 'AWSMPEntitlementService.GetEntitlements':
        result = services.marketplace.getEntitlements(body, partition);
        break;
      default:
        throw new AwsError('UnknownOperationException', `Unknown operation ${target}`);
    }
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    log(`error:${error.code}`, recordCount);
    return sendJsonError(reply, target, error);
  }

  if (services.faults.drawLostResponse(target)) {
    log('fault:lose-response', recordCount, statuses);
    reply.hijack();
    request.raw.socket?.destroy();
    reply.raw.destroy();
    return undefined;
  }
  log('ok', recordCount, statuses);
  return reply
    .code(200)
    .header('content-type', AWS_JSON_CONTENT_TYPE)
    .header('x-amzn-requestid', randomUUID())
    .send(Buffer.from(JSON.stringify(result)));
}
