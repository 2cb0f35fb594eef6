import { inject, injectable } from 'inversify';
import { SimulatorConfig } from '../config/simulator-config.js';
import { retryDelays } from '../sns/sns-delivery.js';

export interface PostLogEntry {
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
}

/** POSTs to API destinations with the SNS delivery policy's retries (EventBridge retries 5xx and 429 too). */
@injectable()
export class HttpPoster {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: PostLogEntry[] = [];
  private generation = 0;

  constructor(@inject(SimulatorConfig) private readonly config: SimulatorConfig) {}

  post(url: string, body: string, headers: Record<string, string>): void {
    const entry: PostLogEntry = { url, status: 'pending', attempts: 0, lastStatusCode: null };
    this.log.push(entry);
    if (this.log.length > 10_000) this.log.shift();
    const run = this.run(url, body, headers, entry, this.generation);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  posts(): PostLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  reset(): void {
    this.generation += 1;
    this.log.length = 0;
  }

  private async run(
    url: string,
    body: string,
    headers: Record<string, string>,
    entry: PostLogEntry,
    gen: number,
  ) {
    const policy = this.config.sns.delivery;
    const delays = retryDelays(policy);
    for (let attempt = 0; ; attempt += 1) {
      if (gen !== this.generation) return;
      entry.attempts += 1;
      let status: number | null = null;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(policy.timeoutMs),
        });
        await res.body?.cancel();
        status = res.status;
      } catch {
        status = null;
      }
      entry.lastStatusCode = status;
      if (status !== null && status >= 200 && status < 300) {
        entry.status = 'delivered';
        return;
      }
      const delay = delays[attempt];
      if ((status !== null && status !== 429 && status < 500) || delay === undefined) {
        entry.status = 'failed';
        return;
      }
      if (delay > 0) await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
}
