import { createHash } from 'node:crypto';
import { DomainError, ValidationError } from '../../shared/domain-error.js';
import { requireText } from '../../shared/guard.js';

/**
 * A secret that authenticates a caller: a browser session (cookie), a customer's personal API token, or a
 * platform service key. Only the SHA-256 of the secret is stored (the secrets are 192 random bits, so a
 * slow hash adds nothing); the secret itself is shown once, when it is issued.
 */
export type CredentialKind = 'session' | 'api-token' | 'service-key';

export const SERVICE_KEY_SCOPES = ['usage:write', 'workspaces:sync', 'workspaces:read'] as const;
export type ServiceKeyScope = (typeof SERVICE_KEY_SCOPES)[number];

/** The visible prefix of each kind's secret: tells a leaked string's kind without a lookup. */
export const CREDENTIAL_PREFIX: Record<CredentialKind, string> = {
  session: 'bck_',
  'api-token': 'bcp_',
  'service-key': 'bcs_',
};

export interface CredentialProps {
  id: string;
  kind: CredentialKind;
  /** The owning account (sessions and API tokens); null for service keys. */
  accountId: string | null;
  /** A label the owner chose (API tokens, service keys); null for sessions. */
  name: string | null;
  scopes: ServiceKeyScope[];
  secretHash: string;
  createdAt: Date;
  /** Absolute end of validity; null: until revoked. */
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  version: number;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export const unauthenticated = (code: string, message: string): DomainError =>
  new DomainError(code, 'unauthenticated', message);

export class Credential {
  id!: string;
  kind!: CredentialKind;
  accountId!: string | null;
  name!: string | null;
  scopes!: ServiceKeyScope[];
  secretHash!: string;
  createdAt!: Date;
  expiresAt!: Date | null;
  lastUsedAt!: Date | null;
  revokedAt!: Date | null;
  version!: number;

  constructor(props: CredentialProps) {
    Object.assign(this, props);
  }

  /** A new credential and its secret (returned once; only its hash is kept). */
  static issue(input: {
    id: string;
    kind: CredentialKind;
    randomSecret: string;
    accountId: string | null;
    name: string | null;
    scopes?: readonly ServiceKeyScope[];
    now: Date;
    expiresAt: Date | null;
  }): { credential: Credential; secret: string } {
    const secret = `${CREDENTIAL_PREFIX[input.kind]}${input.randomSecret}`;
    const credential = new Credential({
      id: input.id,
      kind: input.kind,
      accountId: input.accountId,
      name: input.name,
      scopes: [...(input.scopes ?? [])],
      secretHash: hashSecret(secret),
      createdAt: input.now,
      expiresAt: input.expiresAt,
      lastUsedAt: input.kind === 'session' ? input.now : null,
      revokedAt: null,
      version: 1,
    });
    return { credential, secret };
  }

  isRevoked(): boolean {
    return this.revokedAt !== null;
  }

  /** Valid at `now`: not revoked, not past its absolute end, and (sessions) not idle for too long. */
  isValidAt(now: Date, idleLimitMs: number | null = null): boolean {
    if (this.revokedAt) return false;
    if (this.expiresAt && now.getTime() >= this.expiresAt.getTime()) return false;
    if (idleLimitMs !== null && this.lastUsedAt && now.getTime() - this.lastUsedAt.getTime() >= idleLimitMs)
      return false;
    return true;
  }

  revoke(now: Date): boolean {
    if (this.revokedAt) return false;
    this.revokedAt = now;
    return true;
  }

  /**
   * Records a use. Returns true when the row needs writing: `lastUsedAt` is kept to the minute, so a busy
   * client does not turn every read into a write.
   */
  touch(now: Date, resolutionMs = 60_000): boolean {
    if (this.lastUsedAt && now.getTime() - this.lastUsedAt.getTime() < resolutionMs) return false;
    this.lastUsedAt = now;
    return true;
  }
}

export function requireCredentialName(value: unknown): string {
  return requireText('name', value, { max: 100 });
}

export function requireScopes(value: unknown): ServiceKeyScope[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError(
      'invalid-scopes',
      `Give at least one scope: ${SERVICE_KEY_SCOPES.join(', ')}.`,
      {
        field: 'scopes',
      },
    );
  }
  const unknown = value.filter((s) => !(SERVICE_KEY_SCOPES as readonly unknown[]).includes(s));
  if (unknown.length > 0) {
    throw new ValidationError(
      'invalid-scopes',
      `Unknown scope ${unknown.map((s) => JSON.stringify(s)).join(', ')}; the scopes are ${SERVICE_KEY_SCOPES.join(', ')}.`,
      { field: 'scopes', unknown },
    );
  }
  return [...new Set(value as ServiceKeyScope[])].sort();
}
