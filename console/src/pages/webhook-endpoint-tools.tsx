import { useState, type FormEvent } from 'react';
import {
  ApiError,
  api,
  apiPath,
  type RecoverDeliveriesBody,
  type RecoveredDeliveries,
  type WebhookEndpoint,
  type WebhookEndpointPatchBody,
} from '../api';
import { Field, Notice, errorText } from '../components';
import { isoToZoned, zonedToIso } from '../format';

const FIELDS = ['url', 'eventTypes', 'description'] as const;

export type EndpointFieldErrors = Partial<Record<(typeof FIELDS)[number], string>>;

/** The API's refusal as the error of the form field it names (`eventTypes[0]` → eventTypes; the URL's when it names none of them). */
export function endpointFieldErrors(err: unknown): EndpointFieldErrors {
  return { [fieldOf(err)]: errorText(err) };
}

function fieldOf(err: unknown): (typeof FIELDS)[number] {
  const f = err instanceof ApiError && err.field ? err.field.split(/[.[]/)[0] : 'url';
  return (FIELDS as readonly string[]).includes(f) ? (f as (typeof FIELDS)[number]) : 'url';
}

/** Edits an endpoint's URL, event types and description (PATCH); the API's refusal shown beside its field (an SSRF refusal beside the URL). */
export function EndpointEditor({ endpoint, onSaved }: { endpoint: WebhookEndpoint; onSaved: (message: string) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState(endpoint.url);
  const [types, setTypes] = useState(endpoint.eventTypes.join(', '));
  const [description, setDescription] = useState(endpoint.description ?? '');
  const [errors, setErrors] = useState<EndpointFieldErrors>({});
  const [busy, setBusy] = useState(false);

  const start = () => {
    setUrl(endpoint.url);
    setTypes(endpoint.eventTypes.join(', '));
    setDescription(endpoint.description ?? '');
    setErrors({});
    setOpen(true);
  };

  async function save(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setBusy(true);
    try {
      const body: WebhookEndpointPatchBody = {
        url: url.trim(),
        eventTypes: types.split(/[,\s]+/).filter(Boolean),
        description: description.trim() || null,
      };
      await api<WebhookEndpoint>('PATCH', apiPath`/v1/webhook-endpoints/${endpoint.id}`, body);
      setOpen(false);
      await onSaved('Endpoint saved.');
    } catch (err) {
      setErrors(endpointFieldErrors(err));
    } finally {
      setBusy(false);
    }
  }

  if (!open) {
    return (
      <p>
        <button type="button" onClick={start}>Edit endpoint</button>
      </p>
    );
  }
  return (
    <section aria-labelledby="edit-endpoint-h">
      <h2 id="edit-endpoint-h">Edit endpoint</h2>
      <form onSubmit={save}>
        <EndpointFields values={{ url, types, description }} set={{ url: setUrl, types: setTypes, description: setDescription }} errors={errors} />
        <div className="actions">
          <button type="button" onClick={() => setOpen(false)}>Cancel</button>
          <button type="submit" className="primary" disabled={busy}>Save endpoint</button>
        </div>
      </form>
    </section>
  );
}

/** An endpoint's URL, event types (comma-separated) and description, each with the API's error beside it; for creating and editing. */
export function EndpointFields({
  values,
  set,
  errors,
}: {
  values: { url: string; types: string; description: string };
  set: { url: (v: string) => void; types: (v: string) => void; description: (v: string) => void };
  errors: EndpointFieldErrors;
}) {
  return (
    <>
      <Field label="Endpoint URL" error={errors.url} hint="HTTPS, reachable from the service; addresses inside private networks are refused.">
        {(p) => <input {...p} type="url" value={values.url} onChange={(e) => set.url(e.target.value)} />}
      </Field>
      <Field label="Event types (empty: every type)" error={errors.eventTypes} hint="Comma-separated, for example redemption.created, code.disabled">
        {(p) => <input {...p} value={values.types} onChange={(e) => set.types(e.target.value)} />}
      </Field>
      <Field label="Description (optional)" error={errors.description}>
        {(p) => <input {...p} value={values.description} onChange={(e) => set.description(e.target.value)} />}
      </Field>
    </>
  );
}

const sentAgain = (n: number) =>
  n === 0 ? 'No failed deliveries since then: nothing was sent again.' : `${n} failed ${n === 1 ? 'delivery' : 'deliveries'} sent again.`;

/** "Resend failed deliveries since": POST …/recover with an instant typed in the account's zone; says how many were sent again. */
export function RecoverDeliveries({ endpointId, zone, onDone }: { endpointId: string; zone: string; onDone: () => Promise<void> }) {
  const [since, setSince] = useState(() => isoToZoned(new Date(Date.now() - 86_400_000).toISOString(), zone));
  const [error, setError] = useState<string | undefined>();
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setResult(null);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(since)) {
      setError('Enter a date and time.');
      return;
    }
    setBusy(true);
    try {
      const body: RecoverDeliveriesBody = { since: zonedToIso(since, zone) };
      const r = await api<RecoveredDeliveries>('POST', apiPath`/v1/webhook-endpoints/${endpointId}/recover`, body);
      setResult(sentAgain(r.deliveries));
      await onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="recover-h">
      <h2 id="recover-h">Resend failed deliveries</h2>
      <p>After the receiver was down: every failed delivery of an event that occurred at or after this moment is sent once more, with the same webhook-id.</p>
      <form onSubmit={submit} className="filters">
        <Field label={`Failed since (${zone})`} error={error}>
          {(p) => <input {...p} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required />}
        </Field>
        <button type="submit" disabled={busy}>Resend failed deliveries</button>
      </form>
      {result && <Notice kind="success">{result}</Notice>}
    </section>
  );
}
