import type { Clock } from '@billing-center/core';

/** The machine's clock (UTC instants; the core does its own calendar arithmetic). */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
