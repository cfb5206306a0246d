import { useEffect, useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { apiPath, get, type ApiKeyPage, type AuditRecordPage } from '../api';
import { useAccount } from '../app';
import { ActorCell, AUDIT_ACTIONS, ChangesTable, TARGET_TYPES, TargetCell } from '../audit';
import { Pager, TableState, cursorNav } from '../components';
import { addDays, dateTime, zonedToIso } from '../format';
import { setSearch, useLocation } from '../router';
import { useScopes } from '../scopes';

const FILTERS = ['targetType', 'targetId', 'actorId', 'action', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** The first instant of a date in a zone, and the last millisecond of one (the API's `to` is inclusive). */
const dayStart = (date: string, zone: string) => zonedToIso(`${date}T00:00`, zone);
const dayEnd = (date: string, zone: string) => new Date(Date.parse(dayStart(addDays(date, 1), zone)) - 1).toISOString();

export function AuditLog() {
  const account = useAccount();
  const { can } = useScopes();
  const { path, search } = useLocation();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, search.get(f) ?? ''])) as Filters;
  const nav = cursorNav(search);
  const cursor = nav.cursor;
  const [form, setForm] = useState<Filters>(applied);
  const appliedKey = FILTERS.map((f) => applied[f]).join('\n');
  useEffect(() => setForm(applied), [appliedKey]);
  const zone = account.timeZone;
  const records = useQuery({
    queryKey: ['audit-log', appliedKey, cursor],
    queryFn: () =>
      get<AuditRecordPage>(apiPath`/v1/audit-log`, {
        targetType: applied.targetType,
        targetId: applied.targetId,
        actorId: applied.actorId,
        action: applied.action,
        from: applied.from ? dayStart(applied.from, zone) : undefined,
        to: applied.to ? dayEnd(applied.to, zone) : undefined,
        cursor,
        limit: 25,
      }),
  });
  // the keys' names as suggestions for the actor filter, when this key may read them
  const keys = useQuery({ queryKey: ['api-keys', 'names'], queryFn: () => get<ApiKeyPage>(apiPath`/v1/api-keys`, { limit: 500 }), enabled: can('keys:write') });
  const go = (p: Record<string, string | undefined>) => setSearch(path, { ...applied, ...p });
  const filtered = FILTERS.some((f) => applied[f] !== '');
  const rows = records.data?.data ?? [];
  const set = (f: keyof Filters) => (e: { target: { value: string } }) => setForm({ ...form, [f]: e.target.value });
  function submit(e: FormEvent) {
    e.preventDefault();
    go({ ...Object.fromEntries(FILTERS.map((f) => [f, form[f].trim()])), ...nav.first });
  }

  return (
    <>
      <h1>Audit log</h1>
      <p>Every change made through the API or by the service itself, newest first: who made it, and each field before and after.</p>
      <form className="filters" role="search" aria-label="Audit log filters" onSubmit={submit}>
        <div className="field">
          <label htmlFor="audit-target-type">Target type</label>
          <select id="audit-target-type" value={form.targetType} onChange={set('targetType')}>
            <option value="">Any target</option>
            {Object.entries(TARGET_TYPES).map(([v, l]) => <option key={v} value={v}>{l}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-target-id">Target id</label>
          <input id="audit-target-id" value={form.targetId} onChange={set('targetId')} />
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Actor (API key id)</label>
          <input id="audit-actor" list="audit-actors" value={form.actorId} onChange={set('actorId')} />
          <datalist id="audit-actors">
            {(keys.data?.data ?? []).map((k) => <option key={k.id} value={k.id}>{k.name}</option>)}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" list="audit-actions" value={form.action} onChange={set('action')} placeholder="coupon.updated" />
          <datalist id="audit-actions">
            {AUDIT_ACTIONS.map((a) => <option key={a} value={a} />)}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From ({zone})</label>
          <input id="audit-from" type="date" value={form.from} onChange={set('from')} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To, inclusive ({zone})</label>
          <input id="audit-to" type="date" value={form.to} onChange={set('to')} />
        </div>
        <button type="submit">Apply filters</button>
        {filtered && <button type="button" onClick={() => setSearch(path, {})}>Clear filters</button>}
      </form>
      <TableState
        query={records}
        rows={rows.length}
        noun="audit records"
        filtered={filtered || cursor !== ''}
        onClear={() => setSearch(path, {})}
        empty={<p>No changes recorded yet. Creating or editing a coupon, a code, a webhook endpoint or a key writes a record here.</p>}
      />
      {rows.length > 0 && (
        <table className="audit">
          <caption>Audit records, newest first{filtered ? ' matching the filters' : ''}</caption>
          <thead>
            <tr>{[`At (${zone})`, 'Actor', 'Action', 'Target', 'Changes', 'Request'].map((h) => <th key={h} scope="col">{h}</th>)}</tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{dateTime(r.at, zone)}</td>
                <td><ActorCell actor={r.actor} /></td>
                <td><code>{r.action}</code></td>
                <td><TargetCell target={r.target} /></td>
                <td><ChangesTable record={r} /></td>
                <td><small>{r.requestId ?? '—'}{r.ip ? ` from ${r.ip}` : ''}</small></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Audit log pages" nav={nav} nextCursor={records.data?.nextCursor} go={go} />
    </>
  );
}
