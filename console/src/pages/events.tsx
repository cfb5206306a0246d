import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { apiPath, get, type EventPage, type EventType } from '../api';
import { useAccount } from '../app';
import { Pager, TableState, cursorNav } from '../components';
import { dateTime } from '../format';
import { setSearch, useLocation } from '../router';

/** Suggestions for the type filter: every account event type (`webhook.test` is never one). */
const TYPES: readonly Exclude<EventType, 'webhook.test'>[] = [
  'coupon.created', 'coupon.updated', 'coupon.activated', 'coupon.disabled', 'coupon.enabled', 'coupon.archived', 'coupon.deleted',
  'coupon.expired', 'coupon.exhausted', 'coupon.nearly_exhausted', 'code.created', 'code.updated', 'code.disabled', 'code.enabled',
  'code.deleted', 'code.expired', 'code.exhausted', 'redemption.created', 'redemption.voided', 'redemption.ended', 'batch.completed',
  'batch.failed', 'invoice.discounted', 'subscription.cancelled', 'webhook_endpoint.disabled',
];

export function Events() {
  const account = useAccount();
  const { search } = useLocation();
  const type = search.get('type') ?? '';
  const nav = cursorNav(search, 'before');
  const before = nav.cursor;
  const [typed, setTyped] = useState(type);
  const [paused, setPaused] = useState(false);
  // live on the first page only: an earlier page stays as it is
  const live = before === '' && !paused;
  const events = useQuery({
    queryKey: ['events', type, before],
    queryFn: () => get<EventPage>(apiPath`/v1/events`, { order: 'desc', type, before, limit: 50 }),
    refetchInterval: live ? POLL_MS : false,
  });
  const fresh = useNewIds(events.data?.data, `${type}|${before}`);
  const go = (p: Record<string, string | undefined>) => setSearch('/events', { type, ...p });
  const rows = events.data?.data ?? [];
  return (
    <>
      <div className="page-head">
        <h1>Events</h1>
        {before === '' && (
          <div className="toolbar">
            <p role="status" className="live-state">{paused ? 'Paused: new events are not fetched.' : `Live: new events appear within ${POLL_MS / 1000} seconds.`}</p>
            <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>{paused ? 'Resume live updates' : 'Pause live updates'}</button>
          </div>
        )}
      </div>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ type: typed.trim(), ...nav.first });
        }}
      >
        <div className="field">
          <label htmlFor="event-type">Event type</label>
          <input id="event-type" list="event-types" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="every type" />
          <datalist id="event-types">{TYPES.map((t) => <option key={t} value={t} />)}</datalist>
        </div>
        <button type="submit">Filter</button>
      </form>
      <TableState
        query={events}
        rows={rows.length}
        noun="events"
        filtered={type !== '' || before !== ''}
        onClear={() => {
          setTyped('');
          setSearch('/events', {});
        }}
        empty={<p>No events yet. Creating a coupon or redeeming a code records one.</p>}
      />
      {rows.length > 0 && (
        <table>
          <caption>Events{type ? ` of type ${type}` : ''}, newest first</caption>
          <thead><tr><th scope="col">Id</th><th scope="col">Type</th><th scope="col">When ({account.timeZone})</th><th scope="col">Data</th></tr></thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.id} className={fresh.has(e.id) ? 'row-new' : undefined}>
                <td>{e.id}{fresh.has(e.id) && <span className="badge-new">New</span>}</td>
                <th scope="row">{e.type}</th>
                <td>{dateTime(e.createdAt, account.timeZone)}</td>
                <td><code className="json">{JSON.stringify(e.data)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Event pages" nav={nav} nextCursor={events.data?.nextCursor} go={go} />
    </>
  );
}

const POLL_MS = 2000;

/**
 * The ids that arrived since the list was first shown (for the same filters): each stays marked
 * until the filters change. The first answer marks nothing.
 */
function useNewIds(rows: { id: string }[] | undefined, scope: string): Set<string> {
  const seen = useRef<{ scope: string; ids: Set<string> | null; fresh: Set<string> }>({ scope, ids: null, fresh: new Set() });
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (seen.current.scope !== scope) {
      seen.current = { scope, ids: null, fresh: new Set() };
      setFresh(new Set());
    }
    if (!rows) return;
    const s = seen.current;
    if (s.ids === null) {
      s.ids = new Set(rows.map((r) => r.id));
    } else {
      const added = rows.filter((r) => !s.ids!.has(r.id));
      if (added.length === 0) return;
      for (const r of added) {
        s.ids.add(r.id);
        s.fresh.add(r.id);
      }
    }
    setFresh(new Set(s.fresh));
  }, [rows, scope]);
  return fresh;
}
