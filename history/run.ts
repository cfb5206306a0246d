import { DEFAULTS, runHistory, type HistoryOptions } from './check-history';

const USAGE = `usage: npm run check:history -- [--seed N] [--duration SECONDS] [--faults | --no-faults]
       [--clients N] [--workers N] [--hang-ms MS] [--keep] [--redis-cluster]

Runs the service on its own PostgreSQL and Redis, sends seeded concurrent operations while
killing workers and stopping the servers, then checks the recorded history and the final state.
Exit 0: no rule broken; 1: a rule broken (the seed and the operations involved are printed);
2: bad usage.`;

function parse(argv: string[]): Partial<HistoryOptions> {
  const out: Partial<HistoryOptions> = {};
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`${name} needs a whole number of at least ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--seed': out.seed = num(a, argv[++i], 0); break;
      case '--duration': out.durationSec = num(a, argv[++i], 5); break;
      case '--faults': out.faults = true; break;
      case '--no-faults': out.faults = false; break;
      case '--clients': out.clients = num(a, argv[++i], 1); break;
      case '--workers': out.workers = num(a, argv[++i], 1); break;
      case '--hang-ms': out.hangMs = num(a, argv[++i], 1000); break;
      case '--keep': out.keep = true; break;
      case '--redis-cluster': out.redisCluster = true; break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  let opts: Partial<HistoryOptions>;
  try {
    opts = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`check:history: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts.seed === undefined) opts.seed = Math.floor(Math.random() * 1_000_000);
  const result = await runHistory({ ...DEFAULTS, ...opts });
  process.stdout.write(`${result.summary}\n`);
  if (result.violations.length) process.stdout.write(`logs and history.json: ${result.dir}\n`);
  process.exit(result.violations.length ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`check:history: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(3);
});
