/** What a delivery endpoint answers: a status and a small JSON body with a stable code. */
export interface Answer {
  readonly status: number;
  readonly body: AnswerBody;
  /** Seconds, for 503s: when the sender may try again. */
  readonly retryAfter?: number;
}

export type AnswerBody =
  | {
      /** What happened to the message. */
      readonly outcome: 'stored' | 'duplicate' | 'subscription-confirmed';
      readonly messageId: string;
      readonly eventId?: string;
    }
  | {
      /** A stable code: the SNS and marketplace rejection codes, or the webhook's own. */
      readonly error: string;
      /** What went wrong, for a person; never more than a short excerpt of the input. */
      readonly message: string;
    };

export const refused = (status: number, error: string, message: string, retryAfter?: number): Answer => ({
  status,
  body: { error, message },
  ...(retryAfter === undefined ? {} : { retryAfter }),
});

/** The JSON schema of every answer body, so that Fastify serializes it fast and exactly. */
export const ANSWER_SCHEMA = {
  type: 'object',
  properties: {
    outcome: { type: 'string' },
    messageId: { type: 'string' },
    eventId: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
  additionalProperties: false,
} as const;
