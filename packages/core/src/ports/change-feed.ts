export const WorkspaceChangeFeed = Symbol('WorkspaceChangeFeed');

/** What a subscriber of a `WorkspaceChangeFeed` is told. */
export interface WorkspaceChangeListener {
  /** A committed change (by any process) touched this account's workspaces. */
  changed(accountId: string): void;
  /**
   * Changes may have gone unreported, or touched every account: the feed lost its source, re-established
   * it, or was told that everything changed. Whatever was derived from earlier reads must be forgotten.
   */
  reset(): void;
}

/**
 * Tells a process which accounts' workspaces changed, whichever process committed the change: the
 * invalidation source of an in-process read cache (`WorkspaceListCache`). While `live` is false (not
 * connected, not yet listening, reconnecting) changes may be missed, and nothing may be cached.
 */
export interface WorkspaceChangeFeed {
  /** True while every change committed from now on will be reported. */
  readonly live: boolean;
  /** Starts telling `listener`; the returned function stops. */
  subscribe(listener: WorkspaceChangeListener): () => void;
}
