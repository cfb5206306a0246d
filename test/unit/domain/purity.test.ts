import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../../../src/domain');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The rules src/domain must keep: returns one message per violation. */
export function violations(name: string, source: string): string[] {
  const out: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const specifiers = [...code.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
  for (const spec of specifiers) {
    if (/^(bullmq|ioredis|@mikro-orm\/|express|pg)(\/|$)/.test(spec) || spec.startsWith('@mikro-orm')) out.push(`${name}: imports ${spec}`);
    else if (spec === 'node:crypto' && name !== 'code-generator.ts') out.push(`${name}: node:crypto only as the code generator's default source`);
    else if (!spec.startsWith('./') && !spec.startsWith('../') && spec !== 'luxon' && spec !== 'node:crypto') out.push(`${name}: imports ${spec}`);
  }
  const forbidden: [RegExp, string][] = [
    [/process\s*\.\s*env/, 'reads process.env'],
    [/\bprocess\s*\[/, 'reads process'],
    [/Date\s*\.\s*now\s*\(/, 'calls Date.now()'],
    [/DateTime\s*\.\s*(now|local|utc)\s*\(\s*\)/, 'reads the clock through Luxon'],
    [/new\s+Date\s*\(\s*\)/, 'calls new Date() without arguments'],
    [/Math\s*\.\s*random\s*\(/, 'uses Math.random'],
    [/performance\s*\.\s*now\s*\(/, 'reads a timer'],
  ];
  for (const [re, what] of forbidden) if (re.test(code)) out.push(`${name}: ${what}`);
  return out;
}

describe('src/domain purity', () => {
  const all = files(ROOT);

  it('finds the domain files', () => {
    expect(all.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['index.ts', 'invoice.ts', 'money.ts', 'code-generator.ts']));
  });

  it('imports no infrastructure, reads no environment and no clock', () => {
    expect(all.flatMap((f) => violations(relative(ROOT, f), readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('keeps every file under 300 lines', () => {
    const long = all.filter((f) => readFileSync(f, 'utf8').split('\n').length > 300).map((f) => relative(ROOT, f));
    expect(long).toEqual([]);
  });

  it('the scanner catches each kind of violation', () => {
    expect(violations('x.ts', "import { Queue } from 'bullmq';")).toEqual(['x.ts: imports bullmq']);
    expect(violations('x.ts', "import Redis from 'ioredis';")).toEqual(['x.ts: imports ioredis']);
    expect(violations('x.ts', "import { Entity } from '@mikro-orm/core';")).toEqual(['x.ts: imports @mikro-orm/core']);
    expect(violations('x.ts', "const e = require('express');")).toEqual(['x.ts: imports express']);
    expect(violations('x.ts', "import { Pool } from 'pg';")).toEqual(['x.ts: imports pg']);
    expect(violations('x.ts', "import { randomBytes } from 'node:crypto';")).toEqual(["x.ts: node:crypto only as the code generator's default source"]);
    expect(violations('x.ts', "import { readFileSync } from 'node:fs';")).toEqual(['x.ts: imports node:fs']);
    expect(violations('x.ts', 'const k = process.env.KEY;')).toEqual(['x.ts: reads process.env']);
    expect(violations('x.ts', 'const t = Date.now();')).toEqual(['x.ts: calls Date.now()']);
    expect(violations('x.ts', 'const t = DateTime.now();')).toEqual(['x.ts: reads the clock through Luxon']);
    expect(violations('x.ts', 'const t = new Date();')).toEqual(['x.ts: calls new Date() without arguments']);
    expect(violations('x.ts', 'const t = Math.random();')).toEqual(['x.ts: uses Math.random']);
    expect(violations('x.ts', "const t = new Date('2026-01-01'); // Date.now() in a comment")).toEqual([]);
    expect(violations('code-generator.ts', "import { randomBytes } from 'node:crypto';\nimport { DateTime } from 'luxon';\nimport { x } from './y';")).toEqual([]);
  });
});
