import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  api,
  apiPath,
  get,
  type RotateSecretBody,
  type RotatedSecret,
  type WebhookDelivery,
  type WebhookDeliveryDetail,
  type WebhookDeliveryPage,
  type WebhookEndpoint,
  type WebhookEndpointCreateBody,
  type WebhookEndpointCreated,
  type WebhookEndpointPage,
  type WebhookEndpointPatchBody,
} from '../api';
import { useAccount } from '../app';
import { ConfirmDialog, Notice, Pager, SecretOnce, Status, TableState, cursorNav, errorText } from '../components';
import { dateTime } from '../format';
import { Link, pagePath, setSearch, useLocation } from '../router';
import { RequireScope } from '../scopes';
import { AuditTrail } from '../audit';
import { EndpointEditor, EndpointFields, RecoverDeliveries, endpointFieldErrors, type EndpointFieldErrors } from './webhook-endpoint-tools';

export function Webhooks() {
  const account = useAccount();
  const client = useQueryClient();
  const endpoints = useQuery({ queryKey: ['webhooks'], queryFn: () => get<WebhookEndpointPage>(apiPath`/v1/webhook-endpoints`, { limit: 100 }) });
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<EndpointFieldErrors>({});
  const [created, setCreated] = useState<WebhookEndpointCreated | null>(null);
  const [busy, setBusy] = useState(false);
  const rows = endpoints.data?.data ?? [];

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setCreated(null);
    setBusy(true);
    try {
      const body: WebhookEndpointCreateBody = { url: url.trim() };
      const list = types.split(/[,\s]+/).filter(Boolean);
      if (list.length) body.eventTypes = list;
      if (description.trim()) body.description = description.trim();
      const ep = await api<WebhookEndpointCreated>('POST', apiPath`/v1/webhook-endpoints`, body);
      setCreated(ep);
      setUrl('');
      setTypes('');
      setDescription('');
      await client.invalidateQueries({ queryKey: ['webhooks'] });
    } catch (err) {
      setErrors(endpointFieldErrors(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Webhooks</h1>
      <p>Events are sent to these endpoints, signed as Standard Webhooks.</p>
      {created && <SecretOnce secret={created.secret} what={`Endpoint ${created.url} created`} />}
      <TableState query={endpoints} rows={rows.length} noun="webhook endpoints" empty={<p>No endpoints yet. Add one below to receive events.</p>} />
      {rows.length > 0 && (
        <table>
          <caption>Webhook endpoints</caption>
          <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Description</th><th scope="col">Status</th><th scope="col">Created ({account.timeZone})</th></tr></thead>
          <tbody>
            {rows.map((ep) => (
              <tr key={ep.id}>
                <th scope="row"><Link to={pagePath`/webhooks/${ep.id}`}>{ep.url}</Link></th>
                <td>{ep.eventTypes.length ? ep.eventTypes.join(', ') : 'Every event'}</td>
                <td>{ep.description ?? '—'}</td>
                <td><Status value={ep.status} /></td>
                <td>{dateTime(ep.createdAt, account.timeZone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section aria-labelledby="new-webhook-h">
        <h2 id="new-webhook-h">Add an endpoint</h2>
        <RequireScope scope="webhooks:write" what="Adding an endpoint">
        <form onSubmit={submit}>
          <EndpointFields values={{ url, types, description }} set={{ url: setUrl, types: setTypes, description: setDescription }} errors={errors} />
          <button type="submit" className="primary" disabled={busy}>Add endpoint</button>
        </form>
        </RequireScope>
      </section>
    </>
  );
}

export function WebhookDetail({ id }: { id: string }) {
  const account = useAccount();
  const client = useQueryClient();
  const { path, search } = useLocation();
  const status = search.get('status') ?? '';
  const nav = cursorNav(search);
  const cursor = nav.cursor;
  const endpoint = useQuery({ queryKey: ['webhook', id], queryFn: () => get<WebhookEndpoint>(apiPath`/v1/webhook-endpoints/${id}`) });
  const deliveries = useQuery({
    queryKey: ['deliveries', id, status, cursor],
    queryFn: () => get<WebhookDeliveryPage>(apiPath`/v1/webhook-endpoints/${id}/deliveries`, { status, cursor, limit: 25 }),
    refetchInterval: 2000,
  });
  const [open, setOpen] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'disable' | 'rotate' | 'delete' | null>(null);
  const go = (p: Record<string, string | undefined>) => setSearch(path, { status, ...p });
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['webhook', id] });
    await client.invalidateQueries({ queryKey: ['webhooks'] });
    await client.invalidateQueries({ queryKey: ['deliveries', id] });
  };
  const run = async (f: () => Promise<unknown>, ok: string) => {
    setError(null);
    setNotice(null);
    try {
      await f();
      setNotice(ok);
      await refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };

  if (endpoint.isPending) return <p role="status">Loading endpoint…</p>;
  if (endpoint.isError) {
    return (
      <div role="alert" className="state state-error">
        <p>Could not load the endpoint: {errorText(endpoint.error)}</p>
        <button type="button" onClick={() => void endpoint.refetch()}>Retry</button>
        <p><Link to="/webhooks">Back to webhooks</Link></p>
      </div>
    );
  }
  const ep = endpoint.data;
  const rows = deliveries.data?.data ?? [];
  return (
    <>
      <p><Link to="/webhooks">← Webhooks</Link></p>
      <div className="page-head">
        <h1>Endpoint {ep.url} <Status value={ep.status} /></h1>
        <div className="toolbar" role="group" aria-label="Endpoint actions">
          <button type="button" onClick={() => void run(() => api('POST', apiPath`/v1/webhook-endpoints/${id}/test`), 'Test event sent; its delivery appears below.')}>Send test event</button>
          {ep.status === 'enabled' ? (
            <button type="button" onClick={() => setDialog('disable')}>Disable endpoint</button>
          ) : (
            <button type="button" onClick={() => void run(() => api<WebhookEndpoint>('PATCH', apiPath`/v1/webhook-endpoints/${id}`, { status: 'enabled' } satisfies WebhookEndpointPatchBody), 'Endpoint enabled.')}>Enable endpoint</button>
          )}
          <button type="button" onClick={() => setDialog('rotate')}>Rotate secret</button>
          <button type="button" className="danger" onClick={() => setDialog('delete')}>Delete endpoint</button>
        </div>
      </div>
      <p>{ep.eventTypes.length ? `Events: ${ep.eventTypes.join(', ')}` : 'Every event type'}{ep.description ? ` · ${ep.description}` : ''}</p>
      {secret && <SecretOnce secret={secret} what="Secret rotated; the old one keeps signing for 24 hours" />}
      {notice && <Notice kind="success">{notice}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <EndpointEditor key={ep.updatedAt} endpoint={ep} onSaved={async (m) => { setError(null); setNotice(m); await refresh(); }} />
      <RecoverDeliveries endpointId={id} zone={account.timeZone} onDone={refresh} />
      <section aria-labelledby="deliveries-h">
        <h2 id="deliveries-h">Deliveries</h2>
        <div className="filters">
          <div className="field">
            <label htmlFor="delivery-status">Status</label>
            <select id="delivery-status" value={status} onChange={(e) => go({ status: e.target.value, ...nav.first })}>
              <option value="">Any status</option>
              <option value="pending">Pending</option>
              <option value="succeeded">Succeeded</option>
              <option value="failed">Failed</option>
            </select>
          </div>
        </div>
        <TableState query={deliveries} rows={rows.length} noun="deliveries" filtered={status !== '' || cursor !== ''} onClear={() => setSearch(path, {})} empty={<p>No deliveries yet. Send a test event to try the endpoint.</p>} />
        {rows.length > 0 && (
          <table>
            <caption>Deliveries, newest first</caption>
            <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Next attempt</th><th scope="col">Created ({account.timeZone})</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {rows.map((d) => (
                <DeliveryRow key={d.id} d={d} zone={account.timeZone} open={open === d.id} onToggle={() => setOpen(open === d.id ? null : d.id)} onRedeliver={() => run(() => api('POST', apiPath`/v1/webhook-deliveries/${d.id}/redeliver`), `Delivery of ${d.eventType} queued again.`)} />
              ))}
            </tbody>
          </table>
        )}
        <Pager label="Delivery pages" nav={nav} nextCursor={deliveries.data?.nextCursor} go={go} />
      </section>
      <AuditTrail targetType="webhook_endpoint" targetId={id} title="Endpoint history" />
      {dialog === 'disable' && (
        <ConfirmDialog title={`Disable endpoint ${ep.url}`} confirmLabel="Disable endpoint" onClose={() => setDialog(null)} onConfirm={() => run(() => api<WebhookEndpoint>('PATCH', apiPath`/v1/webhook-endpoints/${id}`, { status: 'disabled' } satisfies WebhookEndpointPatchBody), 'Endpoint disabled.')}>
          <p>Events that happen while it is disabled are not delivered to it, even after you enable it again.</p>
        </ConfirmDialog>
      )}
      {dialog === 'rotate' && (
        <ConfirmDialog
          title={`Rotate the secret of ${ep.url}`}
          confirmLabel="Rotate secret"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            const r = await api<RotatedSecret>('POST', apiPath`/v1/webhook-endpoints/${id}/rotate-secret`, {} satisfies RotateSecretBody);
            setSecret(r.secret);
          }}
        >
          <p>A new secret signs every delivery from now on; the current one keeps signing alongside it for 24 hours.</p>
        </ConfirmDialog>
      )}
      {dialog === 'delete' && (
        <ConfirmDialog
          title={`Delete endpoint ${ep.url}`}
          confirmLabel="Delete endpoint"
          danger
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', apiPath`/v1/webhook-endpoints/${id}`);
            await client.invalidateQueries({ queryKey: ['webhooks'] });
            setSearch('/webhooks', {});
          }}
        >
          <p>No more events are sent to it. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function DeliveryRow({ d, zone, open, onToggle, onRedeliver }: { d: WebhookDelivery; zone: string; open: boolean; onToggle: () => void; onRedeliver: () => void }) {
  const detail = useQuery({ queryKey: ['delivery', d.id, d.attempts], queryFn: () => get<WebhookDeliveryDetail>(apiPath`/v1/webhook-deliveries/${d.id}`), enabled: open });
  return (
    <>
      <tr>
        <th scope="row">{d.eventType} <small>#{d.eventId}</small></th>
        <td><Status value={d.status} /></td>
        <td>{d.attempts}</td>
        <td>{d.lastStatusCode ?? d.lastError ?? '—'}</td>
        <td>{d.nextAttemptAt ? dateTime(d.nextAttemptAt, zone) : '—'}</td>
        <td>{dateTime(d.createdAt, zone)}</td>
        <td className="row-actions">
          <button type="button" aria-expanded={open} onClick={onToggle}>{open ? 'Hide attempts' : 'Show attempts'}</button>
          <button type="button" onClick={onRedeliver}>Redeliver</button>
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={7}>
            {detail.isPending && <p role="status">Loading attempts…</p>}
            {detail.isError && <p role="alert">Could not load attempts: {errorText(detail.error)} <button type="button" onClick={() => void detail.refetch()}>Retry</button></p>}
            {detail.data && (
              detail.data.attemptLog.length ? (
                <table>
                  <caption>Attempt log of {d.eventType}</caption>
                  <thead><tr><th scope="col">At ({zone})</th><th scope="col">Status code</th><th scope="col">Error</th><th scope="col">Duration</th></tr></thead>
                  <tbody>
                    {detail.data.attemptLog.map((a, i) => (
                      <tr key={i}><td>{dateTime(a.at, zone)}</td><td>{a.statusCode ?? '—'}</td><td>{a.error ?? '—'}</td><td>{a.durationMs} ms</td></tr>
                    ))}
                  </tbody>
                </table>
              ) : <p>No attempt yet.</p>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
