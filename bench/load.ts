/**
 * The HTTP load generator, run as its own process so it does not share the API's event loop:
 * `node dist/bench/load.js <json options>` prints autocannon's result as JSON on stdout.
 * Bodies are made per request from a template: "{i}" in any string is replaced by a counter,
 * "{i%N}" by the counter modulo N.
 */
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  path: string;
  key: string;
  connections: number;
  seconds: number;
  template: unknown;
}

function fill(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v.replace(/\{i(?:%(\d+))?\}/g, (_m, mod: string | undefined) => String(mod ? i % Number(mod) : i));
  if (Array.isArray(v)) return v.map((x) => fill(x, i));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, i)]));
  return v;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]) as LoadOptions;
  let i = 0;
  const result = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.seconds,
    requests: [{
      method: 'POST',
      path: o.path,
      headers: { Authorization: `Bearer ${o.key}`, 'Content-Type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: JSON.stringify(fill(o.template, i++)) }),
    }],
  });
  process.stdout.write(JSON.stringify({
    rps: result.requests.average, total: result.requests.total, p50: result.latency.p50, p99: result.latency.p99,
    non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts,
  }));
}

void main();
