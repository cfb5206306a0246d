import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, apiPath, get, session, type ApiKey, type ApiKeyCreateBody, type ApiKeyPage, type ApiKeyRollBody, type ApiKeyWithSecret, type ApiScope } from '../api';
import { useAccount } from '../app';
import { ConfirmDialog, Field, Notice, Pager, SecretOnce, TableState, cursorNav, errorText } from '../components';
import { dateTime, zonedToIso } from '../format';
import { setSearch, useLocation } from '../router';
import { RequireScope, SCOPE_ALLOWS, SCOPE_GROUPS, grants, useScopes } from '../scopes';

/** How long the replaced secret keeps working after a roll (API: 0..604800 s). */
const OVERLAPS: readonly { seconds: number; label: string }[] = [
  { seconds: 0, label: 'Not at all (stops now)' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 604_800, label: '7 days' },
];

type Dialog = { kind: 'revoke' | 'roll'; key: ApiKey } | null;

/** Active, or expired (a revoked key is not listed). */
function keyStatus(k: ApiKey, now: number): { value: string; label: string } {
  return k.expiresAt !== null && Date.parse(k.expiresAt) <= now ? { value: 'expired', label: 'Expired' } : { value: 'active', label: 'Active' };
}

export function ApiKeys() {
  const account = useAccount();
  const client = useQueryClient();
  const { key: current } = useScopes();
  const { path, search } = useLocation();
  const q = search.get('q') ?? '';
  const nav = cursorNav(search);
  const cursor = nav.cursor;
  const keys = useQuery({ queryKey: ['api-keys', cursor], queryFn: () => get<ApiKeyPage>(apiPath`/v1/api-keys`, { cursor, limit: 100 }) });
  const [shown, setShown] = useState<{ what: string; secret: string } | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [overlap, setOverlap] = useState('86400');
  const [notice, setNotice] = useState<string | null>(null);
  const go = (p: Record<string, string | undefined>) => setSearch(path, { q, ...p }, true);
  const needle = q.trim().toLowerCase();
  const all = keys.data?.data ?? [];
  const rows = needle ? all.filter((k) => k.name.toLowerCase().includes(needle) || k.scopes.some((s) => s.includes(needle)) || k.prefix.toLowerCase().startsWith(needle)) : all;
  const now = Date.now();
  const refresh = () => client.invalidateQueries({ queryKey: ['api-keys'] });

  return (
    <>
      <h1>API keys</h1>
      <p>Each person or tool gets its own key with only the scopes it needs. A secret is shown once, when the key is created or rolled.</p>
      {shown && <SecretOnce secret={shown.secret} what={shown.what} label="API key secret" noun="secret" />}
      {notice && <Notice kind="success">{notice}</Notice>}
      <div className="filters" role="search">
        <div className="field">
          <label htmlFor="key-filter">Filter by name, scope or prefix</label>
          <input id="key-filter" type="search" value={q} onChange={(e) => go({ q: e.target.value || undefined, ...nav.first })} />
        </div>
      </div>
      <TableState
        query={keys}
        rows={rows.length}
        noun="API keys"
        filtered={needle !== '' || cursor !== ''}
        onClear={() => setSearch(path, {}, true)}
        empty={<p>No API keys yet. Create one below.</p>}
      />
      {rows.length > 0 && (
        <table>
          <caption>API keys, oldest first{needle ? ' (filtered)' : ''}</caption>
          <thead>
            <tr>{['Name', 'Scopes', 'Secret starts with', `Created (${account.timeZone})`, 'Expires', 'Last used', 'Status', 'Actions'].map((h) => <th key={h} scope="col">{h}</th>)}</tr>
          </thead>
          <tbody>
            {rows.map((k) => {
              const st = keyStatus(k, now);
              return (
                <tr key={k.id}>
                  <th scope="row">{k.name}{k.id === current.id && <small> (this key)</small>}</th>
                  <td>{k.scopes.map((s) => <code key={s} className="scope">{s}</code>)}</td>
                  <td><code>{k.prefix}…</code></td>
                  <td>{dateTime(k.createdAt, account.timeZone)}</td>
                  <td>{k.expiresAt ? dateTime(k.expiresAt, account.timeZone) : 'Never'}</td>
                  <td>{k.lastUsedAt ? dateTime(k.lastUsedAt, account.timeZone) : 'Not yet'}</td>
                  <td><span className={`status status-${st.value}`}>{st.label}</span></td>
                  <td className="row-actions">
                    <button type="button" aria-label={`Roll key ${k.name}`} onClick={() => setDialog({ kind: 'roll', key: k })}>Roll</button>
                    <button type="button" className="danger" aria-label={`Revoke key ${k.name}`} onClick={() => setDialog({ kind: 'revoke', key: k })}>Revoke</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pager label="API key pages" nav={nav} nextCursor={keys.data?.nextCursor} go={go} />
      <CreateKey
        onCreated={async (r) => {
          setNotice(null);
          setShown({ what: `Key ${r.apiKey.name} created`, secret: r.secret });
          await refresh();
        }}
      />
      {dialog?.kind === 'revoke' && (
        <ConfirmDialog
          title={`Revoke key ${dialog.key.name}`}
          confirmLabel="Revoke key"
          danger
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', apiPath`/v1/api-keys/${dialog.key.id}`);
            setShown(null);
            setNotice(`Key ${dialog.key.name} is revoked.`);
            await refresh();
          }}
        >
          <p>Every call with this key is refused (401) from now on. This cannot be undone; its audit records keep its name.</p>
          {dialog.key.id === current.id && <p><strong>This is the key you are signed in with: the console signs you out.</strong></p>}
        </ConfirmDialog>
      )}
      {dialog?.kind === 'roll' && (
        <ConfirmDialog
          title={`Roll key ${dialog.key.name}`}
          confirmLabel="Roll key"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            const body: ApiKeyRollBody = { expiresInSeconds: Number(overlap) };
            const r = await api<ApiKeyWithSecret>('POST', apiPath`/v1/api-keys/${dialog.key.id}/roll`, body);
            // the console keeps working when it rolls its own key
            if (r.apiKey.id === current.id) session.signIn(r.secret);
            setNotice(null);
            const until = OVERLAPS.find((o) => o.seconds === Number(overlap));
            setShown({ what: `Key ${r.apiKey.name} rolled; the old secret ${Number(overlap) === 0 ? 'no longer works' : `keeps working for ${until?.label ?? `${overlap} s`}`}`, secret: r.secret });
            await refresh();
          }}
        >
          <p>The key gets a new secret with the same name and scopes. Tools using the old secret need the new one before the overlap ends.</p>
          <Field label="The old secret keeps working for">
            {(p) => (
              <select {...p} value={overlap} onChange={(e) => setOverlap(e.target.value)}>
                {OVERLAPS.map((o) => <option key={o.seconds} value={o.seconds}>{o.label}</option>)}
              </select>
            )}
          </Field>
        </ConfirmDialog>
      )}
    </>
  );
}

function CreateKey({ onCreated }: { onCreated: (r: ApiKeyWithSecret) => Promise<void> }) {
  const account = useAccount();
  const { key: current } = useScopes();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>([]);
  const [expires, setExpires] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    if (scopes.length === 0) {
      setErrors({ scopes: 'Choose at least one scope.' });
      return;
    }
    setBusy(true);
    try {
      const body: ApiKeyCreateBody = { name: name.trim(), scopes };
      if (expires) body.expiresAt = zonedToIso(expires, account.timeZone);
      const r = await api<ApiKeyWithSecret>('POST', apiPath`/v1/api-keys`, body);
      setName('');
      setScopes([]);
      setExpires('');
      await onCreated(r);
    } catch (err) {
      const f = err instanceof ApiError && err.field ? err.field.split(/[.[]/)[0] : err instanceof ApiError && err.requiredScope ? 'scopes' : 'name';
      setErrors({ [['name', 'scopes', 'expiresAt'].includes(f) ? f : 'name']: errorText(err) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="new-key-h">
      <h2 id="new-key-h">Create a key</h2>
      <RequireScope scope="keys:write" what="Creating a key">
        <form onSubmit={submit}>
          <Field label="Key name" error={errors.name} hint="Who or what uses it, for example Support desk or Billing sync.">
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}
          </Field>
          <fieldset className="section scopes" aria-describedby={errors.scopes ? 'scopes-error' : undefined}>
            <legend>Scopes</legend>
            <p className="hint">A key can give only scopes the key you are signed in with holds.</p>
            {SCOPE_GROUPS.map((g) => (
              <fieldset key={g.label} className="checks scope-group">
                <legend>{g.label}</legend>
                {g.scopes.map((s) => {
                  const held = grants(current.scopes, s);
                  const hintId = `scope-${s.replace(/\W/g, '-')}-hint`;
                  return (
                    <div key={s} className="scope-choice">
                      <label>
                        <input
                          type="checkbox"
                          checked={scopes.includes(s)}
                          disabled={!held}
                          aria-describedby={hintId}
                          onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
                        />{' '}
                        <code>{s}</code>
                      </label>
                      <small id={hintId} className="hint">{SCOPE_ALLOWS[s]}{held ? '' : ' (this key lacks it)'}</small>
                    </div>
                  );
                })}
              </fieldset>
            ))}
            {errors.scopes && <p id="scopes-error" className="field-error" role="alert">{errors.scopes}</p>}
          </fieldset>
          <Field label={`Expires (${account.timeZone}; empty: never)`} error={errors.expiresAt}>
            {(p) => <input {...p} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}
          </Field>
          <button type="submit" className="primary" disabled={busy}>Create key</button>
        </form>
      </RequireScope>
    </section>
  );
}
