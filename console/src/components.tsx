import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { ApiError } from './api';
import { STATUS_LABEL } from './format';

/** Status as text, with colour as a second cue only. */
export function Status({ value }: { value: string }) {
  return <span className={`status status-${value}`}>{STATUS_LABEL[value] ?? value}</span>;
}

/** An error as a sentence; a 403 names the scope the key lacks (`requiredScope`) first. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError && err.requiredScope) return `Needs the ${err.requiredScope} scope, which this API key lacks (${err.message}).`;
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The four states every table has: loading, error (with retry), first use (with the create
 * action) and no match (with a way to clear the filters). Renders nothing when there are rows.
 */
export function TableState({
  query,
  rows,
  noun,
  filtered,
  onClear,
  empty,
}: {
  query: Pick<UseQueryResult, 'isPending' | 'isError' | 'error' | 'refetch'>;
  rows: number;
  noun: string;
  filtered?: boolean;
  onClear?: () => void;
  empty?: ReactNode;
}) {
  if (query.isPending) return <p role="status" className="state">Loading {noun}…</p>;
  if (query.isError) {
    return (
      <div role="alert" className="state state-error">
        <p>Could not load {noun}: {errorText(query.error)}</p>
        <button type="button" onClick={() => void query.refetch()}>Retry</button>
      </div>
    );
  }
  if (rows > 0) return null;
  if (filtered) {
    return (
      <div className="state" role="status">
        <p>No {noun} match these filters.</p>
        {onClear && <button type="button" onClick={onClear}>Clear filters</button>}
      </div>
    );
  }
  return <div className="state" role="status">{empty ?? <p>No {noun} yet.</p>}</div>;
}

/** A labelled input with the API's error for its field beside it. */
export function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string;
  hint?: ReactNode;
  children: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const errId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [hint ? hintId : '', error ? errId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && <small id={hintId} className="hint">{hint}</small>}
      {error && <p id={errId} className="field-error" role="alert">{error}</p>}
    </div>
  );
}

/**
 * A modal confirmation whose title names the action and the object; focus starts on Cancel;
 * with `typeToConfirm` the confirm button stays disabled until that text is typed.
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  children,
  typeToConfirm,
  onConfirm,
  onClose,
  danger,
}: {
  title: string;
  confirmLabel: string;
  children?: ReactNode;
  typeToConfirm?: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
  danger?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const inputId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    cancelRef.current?.focus();
  }, []);
  const blocked = typeToConfirm !== undefined && typed.trim().toUpperCase() !== typeToConfirm.toUpperCase();
  return (
    <dialog ref={ref} aria-labelledby={titleId} onCancel={(e) => { e.preventDefault(); onClose(); }} className="dialog">
      <form
        method="dialog"
        onSubmit={async (e) => {
          e.preventDefault();
          if (blocked) return;
          setBusy(true);
          setError(null);
          try {
            await onConfirm();
            onClose();
          } catch (err) {
            setError(errorText(err));
            setBusy(false);
          }
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        {typeToConfirm !== undefined && (
          <div className="field">
            <label htmlFor={inputId}>Type {typeToConfirm} to confirm</label>
            <input id={inputId} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
          </div>
        )}
        {error && <p role="alert" className="field-error">{error}</p>}
        <div className="actions">
          <button type="button" ref={cancelRef} onClick={onClose}>Cancel</button>
          <button type="submit" className={danger ? 'danger' : 'primary'} disabled={blocked || busy}>{confirmLabel}</button>
        </div>
      </form>
    </dialog>
  );
}

/** A list's cursor in the URL, with the earlier cursors ('-' for the first page) kept beside it. */
export function cursorNav(search: URLSearchParams, cursorKey = 'cursor', backKey = 'back') {
  const cursor = search.get(cursorKey) ?? '';
  const back = (search.get(backKey) ?? '').split('.').filter(Boolean);
  const prev = back[back.length - 1];
  return {
    cursor,
    /** The URL parameters of the first page (filters changed). */
    first: { [cursorKey]: undefined, [backKey]: undefined } as Record<string, string | undefined>,
    prev: { [cursorKey]: prev === '-' ? undefined : prev, [backKey]: back.slice(0, -1).join('.') || undefined } as Record<string, string | undefined>,
    next: (c: string): Record<string, string | undefined> => ({ [cursorKey]: c, [backKey]: [...back, cursor || '-'].join('.') }),
  };
}

/** Previous/Next in a labelled nav; shown when there is another page either way. */
export function Pager({ label, nav, nextCursor, go }: { label: string; nav: ReturnType<typeof cursorNav>; nextCursor: string | null | undefined; go: (p: Record<string, string | undefined>) => void }) {
  if (!nextCursor && !nav.cursor) return null;
  return (
    <nav aria-label={label} className="pager">
      <button type="button" disabled={!nav.cursor} onClick={() => go(nav.prev)}>Previous</button>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && go(nav.next(nextCursor))}>Next</button>
    </nav>
  );
}

export function Notice({ children, kind = 'info' }: { children: ReactNode; kind?: 'info' | 'error' | 'success' }) {
  return <div role={kind === 'error' ? 'alert' : 'status'} className={`notice notice-${kind}`}>{children}</div>;
}

export function Stat({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** A secret shown once (an endpoint's signing secret, an API key's secret), with a copy button. */
export function SecretOnce({ secret, what, label = 'Signing secret', noun = 'signing secret' }: { secret: string; what: string; label?: string; noun?: string }) {
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <div className="notice notice-success" role="status">
      <p>{what}. Copy the {noun} now: it is not shown again.</p>
      <p>
        <label htmlFor={id}>{label}</label>{' '}
        <input id={id} readOnly value={secret} size={52} onFocus={(e) => e.currentTarget.select()} />{' '}
        <button
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(secret);
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          Copy secret
        </button>{' '}
        {copied && <span>Copied.</span>}
      </p>
    </div>
  );
}
