import type { WorkspaceChangeFeed, WorkspaceChangeListener } from '../../ports/change-feed.js';

/**
 * A `WorkspaceChangeFeed` driven by the test: report a change (`changed`), lose the source (`down`),
 * get it back (`up`). Starts live.
 */
export class ManualWorkspaceChangeFeed implements WorkspaceChangeFeed {
  live = true;
  private readonly listeners = new Set<WorkspaceChangeListener>();

  subscribe(listener: WorkspaceChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  changed(accountId: string): void {
    for (const l of this.listeners) l.changed(accountId);
  }

  reset(): void {
    for (const l of this.listeners) l.reset();
  }

  down(): void {
    if (!this.live) return;
    this.live = false;
    this.reset();
  }

  up(): void {
    if (this.live) return;
    this.live = true;
    this.reset();
  }
}
