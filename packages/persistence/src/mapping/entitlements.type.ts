import type { Entitlement } from '@billing-center/core';
import { JsonType, type Platform, type TransformContext } from '@mikro-orm/core';

/**
 * Entitlements are JSON, but their `expiresAt` is a Date in the domain: plain JSON would hand back a
 * string, so revive it on the way out.
 */
export class EntitlementsType extends JsonType {
  override convertToJSValue(value: unknown, platform: Platform, context?: TransformContext): Entitlement[] {
    const raw = super.convertToJSValue(value, platform, context) as Array<
      Omit<Entitlement, 'expiresAt'> & { expiresAt: string | null }
    > | null;
    return (raw ?? []).map((e) => ({ ...e, expiresAt: e.expiresAt === null ? null : new Date(e.expiresAt) }));
  }
}
