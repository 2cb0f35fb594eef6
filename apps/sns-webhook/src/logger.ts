import { type Logger as PinoLogger, pino } from 'pino';

/** Structured JSON logs (pino, as Fastify uses): the request log and the background work share it. */
export type Logger = PinoLogger;
export const Logger = Symbol('Logger');

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'sns-webhook' } });
}
