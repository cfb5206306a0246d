/** Command-line parsing for `couponflow batch`. */
import { DEFAULT_CHARSET, DEFAULT_CODE_LENGTH, MAX_BATCH_COUNT } from '../domain/batch-spec';

export const USAGE = `usage: couponflow batch --coupon ID --count N [options] --out FILE

Starts a batch of codes for a coupon, shows its progress on stderr, then downloads its codes
as CSV.

options (default in brackets):
  --coupon ID                      the coupon the codes belong to [required]
  --count N                        how many codes, 1 to ${MAX_BATCH_COUNT.toLocaleString('en-US')} [required]
  --out FILE                       where the CSV goes [required]
  --length L                       random characters per code, prefix and suffix not counted [${DEFAULT_CODE_LENGTH}]
  --pattern P                      instead of --length: # is one random character, anything
                                   else literal, e.g. SUMMER-#### [none]
  --prefix X                       text before the random part [none]
  --suffix Y                       text after the random part [none]
  --charset C                      characters to draw from [A-Z and 2-9 without look-alikes:
                                   ${DEFAULT_CHARSET}]
  --max-redemptions-per-code N     redemptions each code allows [1]
  --expires-at ISO                 when the codes expire, ISO 8601 with offset [the coupon's expiry]
  --url URL                        the Couponflow API [$COUPONFLOW_URL, else http://127.0.0.1:3000]
  -h, --help                       this text

environment:
  COUPONFLOW_API_KEY               the account's API key [required]
  COUPONFLOW_URL                   the API's URL when --url is not given

exit codes: 0 done, 1 the API refused or the batch failed, 2 bad usage.`;

export class UsageError extends Error {}

export interface BatchArgs {
  couponId: string;
  body: Record<string, unknown>;
  out: string;
  url: string;
  apiKey: string;
}

const STRING_FLAGS: Record<string, string> = {
  '--pattern': 'pattern',
  '--prefix': 'prefix',
  '--suffix': 'suffix',
  '--charset': 'charset',
  '--expires-at': 'expiresAt',
};
const INT_FLAGS: Record<string, string> = {
  '--count': 'count',
  '--length': 'length',
  '--max-redemptions-per-code': 'maxRedemptionsPerCode',
};

function int(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} must be a whole number, got "${raw}"`);
  return Number(raw);
}

/** Parses `batch ...` arguments (`--flag value` or `--flag=value`); throws UsageError. */
export function parseBatchArgs(argv: string[], env: Record<string, string | undefined>): BatchArgs {
  const [command, ...rest] = argv;
  if (command !== 'batch') throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  const body: Record<string, unknown> = {};
  let couponId: string | undefined;
  let out: string | undefined;
  let url = env.COUPONFLOW_URL || 'http://127.0.0.1:3000';
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      value = rest[i + 1];
      i += 1;
    }
    if (!flag.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--coupon') couponId = value;
    else if (flag === '--out') out = value;
    else if (flag === '--url') url = value;
    else if (STRING_FLAGS[flag]) body[STRING_FLAGS[flag]] = value;
    else if (INT_FLAGS[flag]) body[INT_FLAGS[flag]] = int(flag, value);
    else throw new UsageError(`unknown option ${flag}`);
  }
  if (!couponId) throw new UsageError('--coupon is required');
  if (body.count === undefined) throw new UsageError('--count is required');
  if (!out) throw new UsageError('--out is required');
  if (body.length !== undefined && body.pattern !== undefined) throw new UsageError('give --length or --pattern, not both');
  const apiKey = env.COUPONFLOW_API_KEY;
  if (!apiKey) throw new UsageError('set COUPONFLOW_API_KEY to the account API key');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url is not a URL: "${url}"`);
  }
  return { couponId, body, out, url: url.replace(/\/+$/, ''), apiKey };
}
