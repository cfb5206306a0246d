import type { History, Op, Violation } from './model';

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const secs = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(3)}s`);

/** Only the parts of an answer that tell outcomes apart. */
function answerText(op: Op): string {
  if (op.status === null) return `no answer (${op.error ?? '?'})`;
  const r = op.res;
  if (r?.redemption) return `${op.status} redemption ${r.redemption.id} v${r.redemption.couponVersion} ${r.redemption.code} ${r.redemption.customerId} ${r.redemption.subscriptionId}`;
  if (r?.hold) return `${op.status} hold ${r.hold.id} ${r.hold.code} ${r.hold.customerId} until ${r.hold.expiresAt}`;
  if (r?.error) return `${op.status} ${r.error.code}`;
  if (r?.job) return `${op.status} job ${r.job.queue}/${r.job.id}`;
  if (op.kind === 'invoice' || op.kind === 'invoice-paid') return `${op.status} subtotal ${r?.subtotal} discount ${r?.discountTotal} paid ${r?.paid} applied ${r?.applied?.length}`;
  if (op.kind === 'patch-coupon' && r?.version !== undefined) return `${op.status} version ${r.version} limits ${JSON.stringify(r.limits)} timesRedeemed ${r.timesRedeemed}`;
  if (op.kind === 'validate') return `${op.status} valid ${r?.valid}${r?.error ? ` ${r.error.code}` : ''}`;
  return `${op.status} ${clip(JSON.stringify(r ?? null), 120)}`;
}

/** One history line: id, times, the request and its answer. */
export function opLine(op: Op): string {
  const body = op.body === undefined ? '' : ` ${clip(JSON.stringify(op.body), 200)}`;
  const async = op.meta.async ? ' [respond-async]' : '';
  return `#${op.id} ${secs(op.start)}..${secs(op.end)} ${op.method} ${op.path}${async}${body} → ${answerText(op)}`;
}

/** Operations by kind and answer status. */
export function tally(ops: Op[]): string[] {
  const by = new Map<string, Map<string, number>>();
  for (const op of ops) {
    const m = by.get(op.kind) ?? new Map<string, number>();
    const code = op.status === null ? 'none' : op.status >= 400 && op.res?.error?.code ? `${op.status} ${op.res.error.code}` : String(op.status);
    m.set(code, (m.get(code) ?? 0) + 1);
    by.set(op.kind, m);
  }
  return [...by].map(([kind, m]) => {
    const total = [...m.values()].reduce((s, n) => s + n, 0);
    return `  ${kind.padEnd(13)} ${String(total).padStart(6)}: ${[...m].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ×${n}`).join(', ')}`;
  });
}

/** The end-of-run summary: operations, faults, and each broken rule with the history lines involved. */
export function summary(h: History, violations: Violation[], opts: { examples?: number } = {}): string {
  const examples = opts.examples ?? 5;
  const lines: string[] = [];
  lines.push(`seed ${h.seed}: ${h.ops.length} operations in ${(h.opsEnd / 1000).toFixed(1)} s, ${h.polls.length} feed polls, ${h.final.events.length} events, ${h.final.redemptions.length} redemptions, ${h.final.invoices.length} invoices`);
  const holds = h.final.holds ?? [];
  if (holds.length) {
    const by = (st: string) => holds.filter((x) => x.status === st).length;
    lines.push(`holds: ${holds.length} (${by('consumed')} consumed, ${by('released')} released, ${by('expired')} expired, ${by('active')} active)`);
  }
  const spend = h.final.budgetSpend ?? [];
  if (spend.length) {
    const spent = spend.filter((b) => b.exhausted).map((b) => `${b.periodStart.slice(0, 7)} ${b.spent} ${b.currency}`).sort();
    lines.push(`budget periods: ${spend.length}, ${spent.length} spent${spent.length ? ` (${spent.join(', ')})` : ''}`);
  }
  lines.push('operations by kind and answer:');
  lines.push(...tally(h.ops));
  lines.push(`faults injected: ${h.faults.length}`);
  for (const f of h.faults) lines.push(`  ${secs(f.start)}..${secs(f.end)} ${f.kind}: ${f.detail}`);
  const byRule = new Map<string, Violation[]>();
  for (const v of violations) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v]);
  lines.push(`violations: ${violations.length}${violations.length ? ` (${byRule.size} rules)` : ''}`);
  const ops = new Map(h.ops.map((o) => [o.id, o]));
  for (const [rule, vs] of byRule) {
    lines.push(`  ${rule}: ${vs.length}`);
    for (const v of vs.slice(0, examples)) {
      lines.push(`    - ${v.message}`);
      for (const id of v.ops.slice(0, 8)) {
        const op = ops.get(id);
        if (op) lines.push(`        ${opLine(op)}`);
      }
      if (v.ops.length > 8) lines.push(`        … and ${v.ops.length - 8} more operations`);
    }
    if (vs.length > examples) lines.push(`    … and ${vs.length - examples} more`);
  }
  if (violations.length) lines.push(`FAILED: seed ${h.seed} broke ${byRule.size} rules (replay with --seed ${h.seed})`);
  return lines.join('\n');
}
