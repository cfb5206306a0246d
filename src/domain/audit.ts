import type { FieldChanges } from './changes';

/** The audit log's vocabulary (API.md "Keys, scopes and the audit log"). */

export const AUDIT_TARGET_TYPES = ['coupon', 'code', 'batch', 'plan', 'account', 'webhook_endpoint', 'api_key', 'redemption', 'subscription'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export const AUDIT_ACTOR_TYPES = ['api_key', 'platform', 'system'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/** Who made a change: an API key (its id and name), the platform admin token, or the service itself. */
export interface AuditActor {
  type: AuditActorType;
  id: string;
  name: string;
}

/** `<target type>.<verb>`: created, updated, deleted, or a state action by name. */
export type AuditAction = `${AuditTargetType}.${string}`;

/** A field path that names a secret (or its hash): such fields never reach a record. */
const SECRET_PATH = /(^|\.)(secret|previousSecret|keyHash|previousKeyHash|password|token)(\.|$)/i;

/** The changes with every secret-bearing field left out. */
export function withoutSecrets(changes: FieldChanges): FieldChanges {
  return Object.fromEntries(Object.entries(changes).filter(([path]) => !SECRET_PATH.test(path)));
}
