/**
 * The HTTP load generator, run as its own process so it does not share the API's event loop:
 * `node dist/bench/load.js <json options>` prints autocannon's result as JSON on stdout. Closed
 * loop (each connection sends its next request when the previous one answered): it finds the
 * saturated throughput; latency under a given rate is bench/openloop.ts's job.
 * Bodies come from a template (bench/template.ts).
 */
import autocannon from 'autocannon';
import { ownCpuMs } from './cpu';
import { fill } from './template';

interface LoadOptions {
  url: string;
  path: string;
  key: string;
  connections: number;
  seconds: number;
  template: unknown;
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
    non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, cpuMs: ownCpuMs(),
  }));
}

void main();
