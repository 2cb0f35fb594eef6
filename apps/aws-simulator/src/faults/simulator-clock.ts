import { injectable } from 'inversify';

/** The simulator's notion of "now": the real time plus an offset set through the admin API. */
@injectable()
export class SimulatorClock {
  offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
}
