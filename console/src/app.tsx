import { createContext, useContext, useEffect, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, apiPath, checkKey, get, session, type Account, type ApiKey } from './api';
import { Field, errorText } from './components';
import { Link, match, navigate, useLocation } from './router';
import { Overview } from './pages/overview';
import { CouponList } from './pages/coupons';
import { CouponForm } from './pages/coupon-form';
import { CouponDetail } from './pages/coupon-detail';
import { Usage } from './pages/usage';
import { Performance } from './pages/performance';
import { Webhooks, WebhookDetail } from './pages/webhooks';
import { Events } from './pages/events';
import { ApiKeys } from './pages/api-keys';
import { AuditLog } from './pages/audit-log';
import { CurrentKeyContext } from './scopes';
import { AccountSettings } from './pages/settings';

const AccountContext = createContext<Account | null>(null);

/** The signed-in account (its zone and currency drive dates and money on every page). */
export function useAccount(): Account {
  const a = useContext(AccountContext);
  if (!a) throw new Error('no account');
  return a;
}

const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/coupons', label: 'Coupons' },
  { to: '/performance', label: 'Performance' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/events', label: 'Events' },
  { to: '/audit-log', label: 'Audit log' },
  { to: '/api-keys', label: 'API keys' },
  { to: '/settings', label: 'Settings' },
];

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await checkKey(key.trim());
      session.signIn(key.trim());
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'This API key was not accepted.' : errorText(err));
      setBusy(false);
    }
  }
  return (
    <main className="signin">
      <h1>Couponflow console</h1>
      <form onSubmit={submit}>
        <p>Sign in with an account API key. It is kept in this tab only and forgotten when you sign out or close the tab.</p>
        <Field label="Account API key" error={error}>
          {(p) => <input {...p} type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} required />}
        </Field>
        <button type="submit" className="primary" disabled={busy}>Sign in</button>
      </form>
    </main>
  );
}

function Routes() {
  const { path } = useLocation();
  let m: Record<string, string> | null;
  if (path === '/') return <Overview />;
  if (path === '/coupons') return <CouponList />;
  if (path === '/coupons/new') return <CouponForm />;
  if ((m = match('/coupons/:id/edit', path))) return <CouponForm id={m.id} />;
  if ((m = match('/coupons/:id/usage', path))) return <Usage couponId={m.id} />;
  if ((m = match('/coupons/:id', path))) return <CouponDetail id={m.id} />;
  if (path === '/performance') return <Performance />;
  if (path === '/webhooks') return <Webhooks />;
  if ((m = match('/webhooks/:id', path))) return <WebhookDetail id={m.id} />;
  if (path === '/events') return <Events />;
  if (path === '/api-keys') return <ApiKeys />;
  if (path === '/audit-log') return <AuditLog />;
  if (path === '/settings') return <AccountSettings />;
  return (
    <>
      <h1>Page not found</h1>
      <p><Link to="/">Back to the overview</Link></p>
    </>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const account = useQuery({ queryKey: ['account'], queryFn: () => get<Account>(apiPath`/v1/account`) });
  // the signed-in key: its name in the header, its scopes for what the pages offer
  const key = useQuery({ queryKey: ['api-key', 'current'], queryFn: () => get<ApiKey>(apiPath`/v1/api-keys/current`) });
  const { path } = useLocation();
  if (account.isPending || key.isPending) return <p role="status" className="state">Loading account…</p>;
  if (account.isError || key.isError) {
    return (
      <main>
        <div role="alert" className="state state-error">
          <p>Could not load the account: {errorText(account.error ?? key.error)}</p>
          <button type="button" onClick={() => void Promise.all([account.refetch(), key.refetch()])}>Retry</button>
          <button type="button" onClick={onSignOut}>Sign out</button>
        </div>
      </main>
    );
  }
  const active = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`));
  return (
    <AccountContext.Provider value={account.data}>
      <CurrentKeyContext.Provider value={key.data}>
        <header className="top">
          <a className="skip" href="#main">Skip to content</a>
          <span className="brand">Couponflow</span>
          <nav aria-label="Console">
            <ul>
              {NAV.map((n) => (
                <li key={n.to}>
                  <Link to={n.to} aria-current={active(n.to) ? 'page' : undefined}>{n.label}</Link>
                </li>
              ))}
              <li><a href="/admin/queues">Queues (Bull Board)</a></li>
              <li><a href="/docs">API reference</a></li>
            </ul>
          </nav>
          <span className="who">{account.data.name} · <span className="key-name">key {key.data.name}</span> · {account.data.timeZone}</span>
          <button type="button" onClick={onSignOut}>Sign out</button>
        </header>
        <main id="main">
          <Routes />
        </main>
      </CurrentKeyContext.Provider>
    </AccountContext.Provider>
  );
}

export function App() {
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  const client = useQueryClient();
  useEffect(() => {
    const on = () => {
      session.signOut();
      client.clear();
      setSignedIn(false);
    };
    window.addEventListener('couponflow:unauthorized', on);
    return () => window.removeEventListener('couponflow:unauthorized', on);
  }, [client]);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return (
    <Shell
      onSignOut={() => {
        session.signOut();
        client.clear();
        setSignedIn(false);
        navigate('/', true);
      }}
    />
  );
}
