import { parseBatchArgs, USAGE, UsageError } from '../../src/cli/args';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { bar, ProgressBar } from '../../src/cli/progress';

const env = { COUPONFLOW_API_KEY: 'cf_key' };

describe('parseBatchArgs', () => {
  test('reads every option, in both --flag value and --flag=value forms', () => {
    const args = parseBatchArgs(
      ['batch', '--coupon', 'c1', '--count=500', '--pattern', 'AB-####', '--prefix', 'X', '--suffix=Y', '--charset', 'ABC',
        '--max-redemptions-per-code', '3', '--expires-at', '2030-01-01T00:00:00Z', '--out', 'o.csv', '--url', 'http://h:1/'],
      env,
    );
    expect(args).toEqual({
      couponId: 'c1',
      out: 'o.csv',
      url: 'http://h:1',
      apiKey: 'cf_key',
      body: { count: 500, pattern: 'AB-####', prefix: 'X', suffix: 'Y', charset: 'ABC', maxRedemptionsPerCode: 3, expiresAt: '2030-01-01T00:00:00Z' },
    });
  });

  test('the URL comes from --url, else COUPONFLOW_URL, else the local default', () => {
    const base = ['batch', '--coupon', 'c', '--count', '1', '--out', 'o'];
    expect(parseBatchArgs(base, env).url).toBe('http://127.0.0.1:3000');
    expect(parseBatchArgs(base, { ...env, COUPONFLOW_URL: 'https://cf.example.com' }).url).toBe('https://cf.example.com');
  });

  test.each([
    [[], 'a command is required'],
    [['generate'], 'unknown command "generate"'],
    [['batch', '--count', '1', '--out', 'o'], '--coupon is required'],
    [['batch', '--coupon', 'c', '--out', 'o'], '--count is required'],
    [['batch', '--coupon', 'c', '--count', '1'], '--out is required'],
    [['batch', '--coupon', 'c', '--count', '-1', '--out', 'o'], '--count must be a whole number, got "-1"'],
    [['batch', '--coupon', 'c', '--count', '1', '--out', 'o', '--colour', 'red'], 'unknown option --colour'],
    [['batch', '--coupon', 'c', '--count', '1', '--out'], '--out needs a value'],
    [['batch', 'stray'], 'unexpected argument "stray"'],
    [['batch', '--coupon', 'c', '--count', '1', '--out', 'o', '--url', 'nope'], '--url is not a URL: "nope"'],
  ])('%j → %s', (argv, message) => {
    expect(() => parseBatchArgs(argv, env)).toThrow(new UsageError(message));
  });

  test('without an API key in the environment', () => {
    expect(() => parseBatchArgs(['batch', '--coupon', 'c', '--count', '1', '--out', 'o'], {})).toThrow('set COUPONFLOW_API_KEY to the account API key');
  });
});

describe('progress', () => {
  test('bar', () => {
    expect(bar(0, 1_000_000)).toBe('[..............................]   0% 0/1,000,000 codes');
    expect(bar(500_000, 1_000_000)).toBe('[###############...............]  50% 500,000/1,000,000 codes');
    expect(bar(1_000_000, 1_000_000)).toBe('[##############################] 100% 1,000,000/1,000,000 codes');
  });

  test('on a terminal it redraws one line; elsewhere it writes a line at most every 5 s, and the last one', () => {
    const tty: string[] = [];
    const p = new ProgressBar({ write: (s) => tty.push(s), isTTY: true }, 'gen');
    p.update(0, 10, 'queued');
    p.update(0, 10, 'queued');
    p.update(10, 10, 'completed');
    p.finish();
    expect(tty).toEqual([`\rgen ${bar(0, 10)} queued\x1b[K`, `\rgen ${bar(10, 10)} completed\x1b[K`, '\n']);

    let now = 0;
    const lines: string[] = [];
    const q = new ProgressBar({ write: (s) => lines.push(s) }, 'gen', () => now);
    q.update(0, 10, 'running');
    now = 1000;
    q.update(5, 10, 'running');
    now = 6000;
    q.update(6, 10, 'running');
    now = 6500;
    q.update(10, 10, 'completed');
    q.finish();
    expect(lines).toEqual([`gen ${bar(0, 10)} running\n`, `gen ${bar(6, 10)} running\n`, `gen ${bar(10, 10)} completed\n`]);
  });
});

describe('--help', () => {
  test('lists every option the parser takes, each with its default', () => {
    const flags = ['--coupon', '--count', '--out', '--length', '--pattern', '--prefix', '--suffix', '--charset', '--max-redemptions-per-code', '--expires-at', '--url'];
    for (const flag of flags) {
      const line = USAGE.split('\n').find((l) => l.trimStart().startsWith(flag + ' '));
      expect([flag, line !== undefined]).toEqual([flag, true]);
    }
    expect(USAGE).toContain('[12]');
    expect(USAGE).toContain('[ABCDEFGHJKMNPQRSTUVWXYZ23456789]'.slice(1, -1));
    expect(USAGE).toContain('[1]');
    expect(USAGE).toContain('[$COUPONFLOW_URL, else http://127.0.0.1:3000]');
    // every documented flag is one the parser takes
    for (const flag of USAGE.match(/--[a-z-]+/g)!) {
      if (flag === '--help') continue;
      expect(() => parseBatchArgs(['batch', flag, 'v'], {})).not.toThrow(new UsageError(`unknown option ${flag}`));
    }
  });

  test('`npx couponflow --help` under an older Node on the PATH: no engine warnings, the help on stderr, exit 0', () => {
    const root = path.join(__dirname, '../..');
    // npm scripts put the pinned Node first on PATH; here the system Node is first, as in a shell.
    const PATH = ['/usr/local/bin', '/usr/bin', '/bin', path.dirname(process.execPath)].join(':');
    const r = spawnSync('npx', ['--no-install', 'couponflow', '--help'], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(USAGE + '\n');
    expect(r.stdout).toBe('');
  });
});
