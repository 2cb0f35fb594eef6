export interface ReadinessReport {
  readonly ready: boolean;
  readonly body: { status: string; database: string; backlog?: number; reason?: string };
}

export interface ReadinessProbe {
  /** Resolves when the database answers; rejects with the reason when it does not. */
  database(): Promise<void>;
  /** Messages stored and waiting for processing in this process. */
  backlog(): number;
}

/** `/readyz`: ready while not shutting down and the database answers (a store would fail otherwise). */
export class Readiness {
  private stopped = false;

  constructor(
    private readonly probe: ReadinessProbe,
    private readonly timeoutMs = 2_000,
  ) {}

  /** From now on the load balancer is told to send nothing new here. */
  markStopping(): void {
    this.stopped = true;
  }

  get stopping(): boolean {
    return this.stopped;
  }

  async check(): Promise<ReadinessReport> {
    if (this.stopped) {
      return { ready: false, body: { status: 'stopping', database: 'unknown', reason: 'shutting down' } };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.probe.database(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      return { ready: true, body: { status: 'ready', database: 'ok', backlog: this.probe.backlog() } };
    } catch (e) {
      return {
        ready: false,
        body: {
          status: 'not-ready',
          database: 'unreachable',
          reason: e instanceof Error ? e.message : String(e),
        },
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
