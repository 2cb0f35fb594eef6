import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AwsError } from '../aws-json/aws-error.js';
import { signedAccessKey, signedRegion } from '../aws-json/sigv4.js';
import type { SimulatorServices } from '../simulator-services.js';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlResponse(reply: FastifyReply, action: string, result: string): FastifyReply {
  return reply
    .code(200)
    .header('content-type', 'text/xml')
    .send(
      Buffer.from(
        `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
      ),
    );
}

/** An error in the Query protocol's shape; the SDK maps `Code` (NotFound, InvalidParameter, ...) to its exception. */
export function sendQueryError(reply: FastifyReply, error: AwsError): FastifyReply {
  const type = error.statusCode >= 500 ? 'Receiver' : 'Sender';
  return reply
    .code(error.statusCode)
    .header('content-type', 'text/xml')
    .send(
      Buffer.from(
        `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${xmlEscape(error.code)}</Code>` +
          `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      ),
    );
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` (or BinaryValue) → SNS's JSON form. */
function messageAttributes(params: Record<string, string>): Record<string, { Type: string; Value: string }> {
  const out: Record<string, { Type: string; Value: string }> = {};
  for (let n = 1; params[`MessageAttributes.entry.${n}.Name`] !== undefined; n += 1) {
    const p = `MessageAttributes.entry.${n}`;
    const name = params[`${p}.Name`]!;
    const type = params[`${p}.Value.DataType`];
    const value = params[`${p}.Value.StringValue`] ?? params[`${p}.Value.BinaryValue`];
    if (!type || value === undefined)
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain a non-empty value`,
      );
    out[name] = { Type: type, Value: value };
  }
  return out;
}

function required(params: Record<string, string>, name: string): string {
  const v = params[name];
  if (v === undefined || v === '') throw new AwsError('InvalidParameter', `Invalid parameter: ${name}`);
  return v;
}

/**
 * The SNS Query API (what `@aws-sdk/client-sns` speaks: form-encoded `Action=…`, XML answers), for the
 * actions a seller's code and an SNS endpoint use: Publish, CreateTopic, ListTopics, Subscribe,
 * ConfirmSubscription, Unsubscribe. GET works too, for the SubscribeURL and UnsubscribeURL.
 */
export function handleSnsQuery(
  services: SimulatorServices,
  params: Record<string, string>,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const action = params.Action ?? '';
  const target = `SNS.${action}`;
  const region = signedRegion(request.headers.authorization);
  const log = (outcome: string) =>
    services.calls.record({ target, region, recordCount: null, outcome, statuses: null });
  const fault = services.faults.drawCallFault(
    target,
    `${signedAccessKey(request.headers.authorization)}/${region}`,
  );
  if (fault) {
    log(`fault:${fault}`);
    return sendQueryError(
      reply,
      fault === 'throttle'
        ? new AwsError('Throttled', 'Rate exceeded')
        : new AwsError('InternalError', 'An internal error has occurred', 500),
    );
  }
  try {
    const sns = services.sns;
    let response: [action: string, resultXml: string];
    switch (action) {
      case 'Publish': {
        const topicArn = params.TopicArn ?? params.TargetArn ?? '';
        let message = required(params, 'Message');
        if (params.MessageStructure === 'json') {
          const parsed = JSON.parse(message) as Record<string, unknown>;
          const chosen = parsed.http ?? parsed.https ?? parsed.default;
          if (typeof chosen !== 'string')
            throw new AwsError(
              'InvalidParameter',
              'Invalid parameter: Message Structure - No default entry in JSON message body',
            );
          message = chosen;
        }
        const messageId = sns.publish({
          topicArn,
          message,
          ...(params.Subject !== undefined ? { subject: params.Subject } : {}),
          attributes: messageAttributes(params),
        });
        response = ['Publish', `<MessageId>${messageId}</MessageId>`];
        break;
      }
      case 'CreateTopic': {
        const topic = sns.createTopic(required(params, 'Name'), region);
        response = ['CreateTopic', `<TopicArn>${xmlEscape(topic.arn)}</TopicArn>`];
        break;
      }
      case 'ListTopics': {
        const members = sns
          .listTopics()
          .map((t) => `<member><TopicArn>${xmlEscape(t.arn)}</TopicArn></member>`)
          .join('');
        response = ['ListTopics', `<Topics>${members}</Topics>`];
        break;
      }
      case 'Subscribe': {
        const sub = sns.subscribe(
          required(params, 'TopicArn'),
          required(params, 'Protocol'),
          required(params, 'Endpoint'),
        );
        const arn =
          params.ReturnSubscriptionArn === 'true' || sub.confirmed ? sub.arn : 'pending confirmation';
        response = ['Subscribe', `<SubscriptionArn>${xmlEscape(arn)}</SubscriptionArn>`];
        break;
      }
      case 'ConfirmSubscription': {
        const sub = sns.confirmSubscription(required(params, 'TopicArn'), required(params, 'Token'));
        response = ['ConfirmSubscription', `<SubscriptionArn>${xmlEscape(sub.arn)}</SubscriptionArn>`];
        break;
      }
      case 'Unsubscribe': {
        sns.unsubscribe(required(params, 'SubscriptionArn'));
        response = ['Unsubscribe', ''];
        break;
      }
      default:
        throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    if (services.faults.drawLostResponse(target)) {
      // Applied, then the connection is dropped unanswered.
      log('fault:lose-response');
      reply.hijack();
      request.raw.socket?.destroy();
      reply.raw.destroy();
      return reply;
    }
    log('ok');
    return xmlResponse(reply, response[0], response[1]);
  } catch (error) {
    const awsError =
      error instanceof AwsError
        ? error
        : error instanceof SyntaxError
          ? new AwsError(
              'InvalidParameter',
              'Invalid parameter: Message Structure - JSON message body failed to parse',
            )
          : undefined;
    if (!awsError) throw error;
    log(`error:${awsError.code}`);
    return sendQueryError(reply, awsError);
  }
}
