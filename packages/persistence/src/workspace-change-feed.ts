import type { WorkspaceChangeFeed, WorkspaceChangeListener } from '@billing-center/core';
import pg from 'pg';

/** The channel the `workspace` table's trigger notifies (migration 20261129000000): the owner's id, or `*`. */
export const WORKSPACE_CHANGES_CHANNEL = 'billing_center_workspace_changes';

export interface PgWorkspaceChangeFeedOptions {
  /** The database (postgres:// URL) whose `workspace` table is watched. */
  url: string;
  /** How often the listening connection is checked with a query (default 5 s). */
  healthCheckMs?: number;
  /** A check that takes longer counts as a lost connection (default 2 s). */
  healthTimeoutMs?: number;
  /** Reconnection delays: from `reconnectMinMs` doubling up to `reconnectMaxMs` (defaults 100 ms, 5 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * This process's own writes: subscribes the feed to the unit of work's report of the accounts whose
   * workspaces each unit of work wrote, as it ends (returns the function that unsubscribes).
   */
  localWrites?: (report: (accountIds: ReadonlySet<string>) => void) => () => void;
  /** Called once by `close`. */
  onClose?: () => void;
  /** Where the feed reports that it listens, or lost its connection (a logger). */
  onEvent?: (event: { type: 'listening' } | { type: 'lost'; error: unknown; retryInMs: number }) => void;
}

/**
 * PostgreSQL's LISTEN/NOTIFY as a `WorkspaceChangeFeed`: one dedicated connection (outside the pool)
 * listens on the channel the `workspace` trigger notifies at commit, in every process that writes. The
 * unit of work adds this process's own writes synchronously as each one ends (`local`), so a process
 * reads its own writes without waiting for the notification.
 *
 * `live` is true only while the connection listens: before LISTEN has completed, after an error, an end,
 * or a failed health check (the connection is then dropped) it is false, subscribers are reset (changes
 * may have been missed), and the feed reconnects with exponential backoff and jitter. On listening again
 * subscribers are reset once more.
 */
export class PgWorkspaceChangeFeed implements WorkspaceChangeFeed {
  private isLive = false;
  private readonly listeners = new Set<WorkspaceChangeListener>();
  private client: pg.Client | null = null;
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly healthCheckMs: number;
  private readonly healthTimeoutMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly stopLocal: () => void;

  constructor(private readonly options: PgWorkspaceChangeFeedOptions) {
    this.stopLocal = options.localWrites?.((ids) => this.local(ids)) ?? (() => undefined);
    this.healthCheckMs = options.healthCheckMs ?? 5_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 2_000;
    this.reconnectMinMs = options.reconnectMinMs ?? 100;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 5_000;
  }

  get live(): boolean {
    return this.isLive;
  }

  /** Connects and listens in the background (`live` once listening). */
  start(): this {
    if (!this.client && !this.timer && !this.closed) void this.connect();
    return this;
  }

  subscribe(listener: WorkspaceChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** This process's unit of work wrote these accounts' workspaces and has ended. */
  local(accountIds: Iterable<string>): void {
    for (const id of accountIds) for (const l of this.listeners) l.changed(id);
  }

  /** Drops the listening connection as if it had been lost (then reconnects with backoff, as then). */
  disconnect(error: unknown = new Error('disconnected')): void {
    if (this.client) this.lost(this.client, error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopLocal();
    this.options.onClose?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    this.goDown();
    if (client) await client.end().catch(() => undefined);
  }

  private goDown(): void {
    if (!this.isLive) return;
    this.isLive = false;
    for (const l of this.listeners) l.reset();
  }

  private async connect(): Promise<void> {
    this.timer = null;
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.options.url,
      keepAlive: true,
      // a connection attempt that hangs (a black-holed address) counts as lost, and is retried
      connectionTimeoutMillis: 10_000,
      application_name: 'billing-center-change-feed',
    });
    this.client = client;
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('the listening connection ended')));
    client.on('notification', (n) => {
      if (client !== this.client || n.channel !== WORKSPACE_CHANGES_CHANNEL) return;
      // evicting is always safe: also before `live` (which then resets anyway)
      if (!n.payload || n.payload === '*') for (const l of this.listeners) l.reset();
      else for (const l of this.listeners) l.changed(n.payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${WORKSPACE_CHANGES_CHANNEL}`);
    } catch (e) {
      this.lost(client, e);
      return;
    }
    if (client !== this.client) return; // lost (or closed) meanwhile
    this.failures = 0;
    this.isLive = true;
    // whatever was kept before this moment may have missed a change
    for (const l of this.listeners) l.reset();
    this.options.onEvent?.({ type: 'listening' });
    this.scheduleHealthCheck(client);
  }

  private scheduleHealthCheck(client: pg.Client): void {
    this.timer = setTimeout(async () => {
      this.timer = null;
      if (client !== this.client) return;
      let timeout: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.query('select 1'),
          new Promise((_, reject) => {
            timeout = setTimeout(
              () =>
                reject(new Error(`the listening connection did not answer in ${this.healthTimeoutMs} ms`)),
              this.healthTimeoutMs,
            );
          }),
        ]);
      } catch (e) {
        this.lost(client, e);
        return;
      } finally {
        clearTimeout(timeout);
      }
      if (client === this.client) this.scheduleHealthCheck(client);
    }, this.healthCheckMs);
    this.timer.unref();
  }

  private lost(client: pg.Client, error: unknown): void {
    if (client !== this.client) return; // an earlier connection, already given up
    this.client = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.goDown();
    client.removeAllListeners('notification');
    client.on('error', () => undefined); // errors of the dropped connection go nowhere
    void client.end().catch(() => undefined);
    if (this.closed) return;
    const base = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** this.failures);
    const retryInMs = Math.round(base * (0.5 + Math.random() / 2));
    this.failures += 1;
    this.options.onEvent?.({ type: 'lost', error, retryInMs });
    this.timer = setTimeout(() => void this.connect(), retryInMs);
    this.timer.unref();
  }
}
