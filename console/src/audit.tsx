/** Audit records as the console shows them: a record's changes as a before/after table, and one target's history. */

import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { apiPath, get, type AuditRecord, type AuditRecordPage, type AuditTargetType } from './api';
import { useAccount } from './app';
import { TableState } from './components';
import { dateTime } from './format';
import { Link, pagePath } from './router';
import { ScopeNote, useScopes } from './scopes';

export const TARGET_TYPES: Readonly<Record<AuditTargetType, string>> = {
  coupon: 'Coupon',
  code: 'Code',
  batch: 'Batch',
  plan: 'Plan',
  account: 'Account',
  webhook_endpoint: 'Webhook endpoint',
  api_key: 'API key',
  redemption: 'Redemption',
  subscription: 'Subscription',
};

/** The actions the service writes (API.md), offered as suggestions in the action filter. */
export const AUDIT_ACTIONS: readonly string[] = [
  'coupon.created', 'coupon.updated', 'coupon.deleted', 'coupon.activated', 'coupon.disabled', 'coupon.enabled', 'coupon.archived',
  'coupon.cloned', 'coupon.codes_imported', 'code.created', 'code.updated', 'code.deleted', 'code.disabled', 'code.enabled',
  'batch.created', 'batch.deleted', 'plan.created', 'plan.updated', 'account.created', 'account.updated',
  'webhook_endpoint.created', 'webhook_endpoint.updated', 'webhook_endpoint.deleted', 'webhook_endpoint.secret_rotated',
  'webhook_endpoint.disabled', 'api_key.created', 'api_key.rolled', 'api_key.revoked', 'redemption.voided', 'subscription.cancelled',
];

/** A recorded value as text: absent and null as "none", strings as they are, anything else as JSON. */
export function auditValue(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A record's changes: one row per field path, with its value before and after. */
export function ChangesTable({ record }: { record: AuditRecord }) {
  const fields = Object.entries(record.changes);
  if (fields.length === 0) return <span className="hint">No field changed ({record.action.split('.')[1]?.replace(/_/g, ' ') ?? 'state action'}).</span>;
  return (
    <table className="changes">
      <caption className="visually-hidden">Changes of {record.action} at {record.at}</caption>
      <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
      <tbody>
        {fields.map(([field, c]) => (
          <tr key={field}>
            <th scope="row"><code>{field}</code></th>
            <td className="before">{auditValue(c.from)}</td>
            <td className="after">{auditValue(c.to)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The target of a record, linked to its page where the console has one. */
export function TargetCell({ target }: { target: AuditRecord['target'] }) {
  const label = `${TARGET_TYPES[target.type] ?? target.type} ${target.id}`;
  if (target.type === 'coupon') return <Link to={pagePath`/coupons/${target.id}`}>{label}</Link>;
  if (target.type === 'webhook_endpoint') return <Link to={pagePath`/webhooks/${target.id}`}>{label}</Link>;
  return <>{label}</>;
}

export function ActorCell({ actor }: { actor: AuditRecord['actor'] }) {
  const kind = actor.type === 'api_key' ? 'key' : actor.type === 'platform' ? 'platform admin' : 'the service';
  return <>{actor.name} <small className="hint">({kind})</small></>;
}

/** One target's own history, newest first, 10 records a page (shown on its detail page). */
export function AuditTrail({ targetType, targetId, title = 'History' }: { targetType: AuditTargetType; targetId: string; title?: string }) {
  const account = useAccount();
  const { can } = useScopes();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1] ?? '';
  const allowed = can('audit:read');
  const records = useQuery({
    queryKey: ['audit', targetType, targetId, cursor],
    queryFn: () => get<AuditRecordPage>(apiPath`/v1/audit-log`, { targetType, targetId, cursor, limit: 10 }),
    enabled: allowed,
  });
  const rows = records.data?.data ?? [];
  const headingId = `audit-${targetType}-h`;
  return (
    <section aria-labelledby={headingId} className="audit-trail">
      <h2 id={headingId}>{title}</h2>
      {!allowed ? (
        <ScopeNote scope="audit:read" what="Reading the history" />
      ) : (
        <>
          <TableState query={records} rows={rows.length} noun="history records" filtered={cursor !== ''} onClear={() => setCursors([])} empty={<p>No recorded change yet.</p>} />
          {rows.length > 0 && (
            <table>
              <caption>Changes, newest first</caption>
              <thead><tr><th scope="col">At ({account.timeZone})</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Changes</th></tr></thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <td>{dateTime(r.at, account.timeZone)}</td>
                    <td><ActorCell actor={r.actor} /></td>
                    <td><code>{r.action}</code></td>
                    <td><ChangesTable record={r} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {(cursor !== '' || records.data?.nextCursor) && (
            <nav aria-label={`${title} pages`} className="pager">
              <button type="button" disabled={cursor === ''} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
              <button type="button" disabled={!records.data?.nextCursor} onClick={() => records.data?.nextCursor && setCursors([...cursors, records.data.nextCursor])}>Older</button>
            </nav>
          )}
        </>
      )}
    </section>
  );
}
