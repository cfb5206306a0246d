import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The import direction of the layers (README "Layering"): domain <- repositories/services/queues
 * <- jobs and src/http. Each rule answers one message per violation, `file:line: what`.
 */
const ROOT = resolve(__dirname, '../..');

/** The start-up module wires the HTTP app to everything else; it is the one file outside src/http that may import it. */
const COMPOSITION_ROOT = new Set(['src/server.ts']);

const INFRASTRUCTURE = /^(bullmq|ioredis|express|pg|kysely|@mikro-orm\/[^/]+)(\/|$)/;
const NODE_IO = /^(node:)?(fs|net|http|https|http2|dgram|dns|tls|child_process|cluster|worker_threads|readline|os|process|inspector|v8|vm|stream|perf_hooks)(\/|$)/;
const SQL_IN_JOBS: [RegExp, string][] = [
  [/\bem\s*\.\s*execute\b|\.execute\s*\(\s*['"`]/, 'sends SQL (execute)'],
  [/\bgetKysely\b/, 'queries (getKysely)'],
  [/\bsql\s*(<[^`;]*>)?\s*`/, 'writes SQL (sql`…`)'],
];

const posix = (p: string): string => p.split(sep).join('/');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [posix(relative(ROOT, path))] : [];
  });
}

/** The source without comments, every line kept where it was (so offsets still give line numbers). */
function code(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Every module specifier a file imports or re-exports (static, dynamic, require), with its line. */
function imports(text: string): { spec: string; line: number }[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g;
  return [...text.matchAll(re)].map((m) => ({ spec: m[2], line: lineAt(text, m.index) }));
}

const isHttp = (path: string): boolean => path === 'src/http' || path.startsWith('src/http/');
const isRoute = (path: string): boolean => path.startsWith('src/http/routes/');
const isRepository = (path: string): boolean => path === 'src/repositories' || path.startsWith('src/repositories/');

/** A relative specifier as a path from the repository root; a package name stays as it is. */
function target(file: string, spec: string): string {
  return spec.startsWith('.') ? posix(relative(ROOT, resolve(ROOT, dirname(file), spec))) : spec;
}

/** Rules of one file (path from the repository root): imports of src/http, the domain's purity, SQL in jobs. */
export function layeringViolations(file: string, source: string): string[] {
  const text = code(source);
  const out: string[] = [];
  const inDomain = file.startsWith('src/domain/');
  for (const { spec, line } of imports(text)) {
    const to = target(file, spec);
    if (!isHttp(file) && !COMPOSITION_ROOT.has(file) && isHttp(to)) out.push(`${file}:${line}: imports src/http (${spec})`);
    if (inDomain && (INFRASTRUCTURE.test(spec) || NODE_IO.test(spec))) out.push(`${file}:${line}: src/domain imports ${spec}`);
    // a route parses, checks the scope, calls a service and maps its result; queries are the services' business
    if (isRoute(file) && isRepository(to)) out.push(`${file}:${line}: a route imports a repository (${spec})`);
  }
  if (inDomain) {
    for (const m of text.matchAll(/\bprocess\s*(\.\s*env\b|\[)/g)) out.push(`${file}:${lineAt(text, m.index)}: src/domain reads process.env`);
  }
  if (file.startsWith('jobs/')) {
    for (const [re, what] of SQL_IN_JOBS) {
      for (const m of text.matchAll(new RegExp(re.source, 'g'))) out.push(`${file}:${lineAt(text, m.index)}: jobs/ ${what}`);
    }
    for (const { spec, line } of imports(text)) {
      if (/^(pg|kysely|@mikro-orm\/[^/]+)(\/|$)/.test(spec)) out.push(`${file}:${line}: jobs/ imports ${spec}`);
      // a processor calls a service; repositories are the services' business
      if (/(^|\/)src\/repositories(\/|$)/.test(spec)) out.push(`${file}:${line}: jobs/ imports a repository (${spec})`);
    }
  }
  return out;
}

/**
 * The imports of a file that remain when it runs: every static import and re-export but the
 * type-only ones (`import type`, `export type`; the compiler erases them, so two modules whose
 * types mention each other do not load each other), as paths from the repository root; package
 * imports are left out.
 */
export function runtimeImports(file: string, source: string, exists: (path: string) => boolean): { to: string; line: number }[] {
  const text = code(source);
  const out: { to: string; line: number }[] = [];
  for (const m of text.matchAll(/\b(import|export)(\s+type\b)?(?:[^'"`;]*?\bfrom\s*|\s*)(['"])([^'"]+)\3/g)) {
    if (m[2] || !m[4].startsWith('.')) continue;
    const base = target(file, m[4]);
    const to = [`${base}.ts`, `${base}/index.ts`].find(exists);
    if (to) out.push({ to, line: lineAt(text, m.index) });
  }
  return out;
}

/**
 * The import cycles a depth-first walk of the graph meets (at least one in every group of modules
 * that import each other in a circle), each once as `a.ts:line → b.ts:line → … → a.ts` from its
 * smallest file, shortest first: empty exactly when the graph has no cycle.
 */
export function importCycles(graph: Map<string, { to: string; line: number }[]>): string[] {
  const cycles = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: { file: string; line: number }[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    for (const edge of graph.get(file) ?? []) {
      stack.push({ file, line: edge.line });
      if (state.get(edge.to) === 'open') {
        const from = stack.findIndex((s) => s.file === edge.to);
        const loop = stack.slice(from);
        // one spelling per cycle: start at its smallest file
        const start = loop.reduce((best, s, i) => (s.file < loop[best].file ? i : best), 0);
        const turned = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.add([...turned.map((s) => `${s.file}:${s.line}`), turned[0].file].join(' → '));
      } else if (!state.has(edge.to)) {
        visit(edge.to);
      }
      stack.pop();
    }
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return [...cycles].sort((a, b) => a.length - b.length || a.localeCompare(b));
}

/** console/src: the admin console's sources (.ts and .tsx), paths from the repository root. */
function consoleFiles(dir = join(ROOT, 'console/src')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? consoleFiles(path) : /\.tsx?$/.test(path) ? [posix(relative(ROOT, path))] : [];
  });
}

/**
 * The console's imports of server code (anything outside console/) or of zod that are not
 * type-only: such an import would put the server's modules and zod in the browser bundle.
 */
export function consoleValueImports(file: string, source: string): string[] {
  const text = code(source);
  const out: string[] = [];
  for (const m of text.matchAll(/\b(import|export)(\s+type\b)?[^'"`;]*?(['"])([^'"]+)\3/g)) {
    const spec = m[4];
    const server = spec.startsWith('.') ? !target(file, spec).startsWith('console/') : /^(zod|@asteasolutions\/zod-to-openapi)(\/|$)/.test(spec);
    if (server && !m[2]) out.push(`${file}:${lineAt(text, m.index)}: ${m[1]}s server code or zod as a value (${spec})`);
  }
  return out;
}

describe('layering', () => {
  const files = [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'jobs')), ...tsFiles(join(ROOT, 'config'))].filter((f) => !isHttp(f));
  const all = files.flatMap((f) => layeringViolations(f, readFileSync(join(ROOT, f), 'utf8')));

  it('scans every layer outside src/http', () => {
    expect(files).toEqual(expect.arrayContaining([
      'src/domain/index.ts', 'src/repositories/invoices.ts', 'src/services/invoice-service.ts', 'src/queues/producers.ts',
      'jobs/invoice-discounts.ts', 'src/context.ts', 'config/index.ts',
    ]));
    expect(files.some((f) => isHttp(f))).toBe(false);
  });

  it('nothing outside src/http imports src/http (but the start-up module)', () => {
    expect(all.filter((v) => v.includes('imports src/http'))).toEqual([]);
  });

  it('src/domain imports no infrastructure and no node I/O, and reads no process.env', () => {
    expect(all.filter((v) => v.includes('src/domain '))).toEqual([]);
  });

  it('jobs/ hold no SQL', () => {
    expect(all.filter((v) => v.includes('jobs/ '))).toEqual([]);
  });

  it('routes import no repository (they call services)', () => {
    const routes = tsFiles(join(ROOT, 'src/http/routes'));
    expect(routes).toEqual(expect.arrayContaining(['src/http/routes/coupons.ts', 'src/http/routes/redemptions.ts', 'src/http/routes/growth.ts']));
    expect(routes.flatMap((f) => layeringViolations(f, readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });

  it('finds no other violation', () => {
    expect(all).toEqual([]);
  });

  it('src/ has no import cycle', () => {
    const sources = tsFiles(join(ROOT, 'src'));
    const known = new Set(sources);
    const graph = new Map(sources.map((f) => [f, runtimeImports(f, readFileSync(join(ROOT, f), 'utf8'), (p) => known.has(p))]));
    // the scan sees the imports it should: a service's repository, a route's service, a barrel
    expect(graph.get('src/services/coupons.ts')!.map((e) => e.to)).toEqual(expect.arrayContaining(['src/repositories/coupons.ts', 'src/domain/index.ts']));
    expect(graph.get('src/http/routes/coupons.ts')!.map((e) => e.to)).toContain('src/services/coupons.ts');
    expect(importCycles(graph)).toEqual([]);
  });
});

describe('the layering scanner', () => {
  it('reports an import of src/http at its file and the line of its specifier, multi-line and relative imports included', () => {
    expect(layeringViolations('src/services/x.ts', "import a from 'luxon';\nimport {\n  b,\n} from '../http/errors';")).toEqual([
      'src/services/x.ts:4: imports src/http (../http/errors)',
    ]);
    expect(layeringViolations('jobs/x.ts', "const m = await import('../src/http/app');")).toEqual(['jobs/x.ts:1: imports src/http (../src/http/app)']);
    expect(layeringViolations('src/queues/x.ts', "export { y } from '../http';")).toEqual(['src/queues/x.ts:1: imports src/http (../http)']);
    expect(layeringViolations('src/x.ts', "import type { R } from './http/route';")).toEqual(['src/x.ts:1: imports src/http (./http/route)']);
  });

  it('lets src/http and the start-up module import src/http, and other folders named http pass', () => {
    expect(layeringViolations('src/http/routes/x.ts', "import { y } from '../route';")).toEqual([]);
    expect(layeringViolations('src/server.ts', "import { createApp } from './http/app';")).toEqual([]);
    expect(layeringViolations('src/services/x.ts', "import { y } from './webhook-http';")).toEqual([]);
  });

  it.each([
    ['bullmq', "import { Queue } from 'bullmq';"],
    ['ioredis', "import Redis from 'ioredis';"],
    ['@mikro-orm/core', "import { p } from '@mikro-orm/core';"],
    ['express', "const e = require('express');"],
    ['pg', "import { Pool } from 'pg';"],
    ['kysely', "import { sql } from 'kysely';"],
    ['node:fs', "import { readFileSync } from 'node:fs';"],
    ['child_process', "import { spawn } from 'child_process';"],
    ['node:http', "import { request } from 'node:http';"],
  ])('reports src/domain importing %s', (spec, source) => {
    expect(layeringViolations('src/domain/x.ts', `// a comment\n${source}`)).toEqual([`src/domain/x.ts:2: src/domain imports ${spec}`]);
  });

  it('reports src/domain reading process.env, not a mention in a comment, and allows luxon and node:crypto', () => {
    expect(layeringViolations('src/domain/x.ts', "const a = 1;\n\nconst k = process.env.KEY;")).toEqual(['src/domain/x.ts:3: src/domain reads process.env']);
    expect(layeringViolations('src/domain/x.ts', "/* process.env\n */ const b = 2; // process.env")).toEqual([]);
    expect(layeringViolations('src/domain/x.ts', "import { DateTime } from 'luxon';\nimport { randomBytes } from 'node:crypto';")).toEqual([]);
    expect(layeringViolations('src/repositories/x.ts', "import { sql } from 'kysely';\nconst u = process.env.X;")).toEqual([]);
  });

  it('reports SQL in jobs/ at its line', () => {
    expect(layeringViolations('jobs/x.ts', "const a = 1;\nawait em.execute('select 1');")).toEqual(['jobs/x.ts:2: jobs/ sends SQL (execute)']);
    expect(layeringViolations('jobs/x.ts', 'await ctx.orm.em.fork().getKysely().selectFrom(\'codes\');')).toEqual(['jobs/x.ts:1: jobs/ queries (getKysely)']);
    expect(layeringViolations('jobs/x.ts', 'const q = sql`select 1`;\nconst r = sql<{ n: number }>`select 2`;')).toEqual([
      'jobs/x.ts:1: jobs/ writes SQL (sql`…`)', 'jobs/x.ts:2: jobs/ writes SQL (sql`…`)',
    ]);
    expect(layeringViolations('jobs/x.ts', "import { sql } from 'kysely';")).toEqual(['jobs/x.ts:1: jobs/ imports kysely']);
    expect(layeringViolations('jobs/x.ts', "import { CouponArchivedError } from '../src/repositories/batch-codes';")).toEqual([
      'jobs/x.ts:1: jobs/ imports a repository (../src/repositories/batch-codes)',
    ]);
    expect(layeringViolations('jobs/x.ts', "const r = await discountInvoice(ctx, id, inv); // no em.execute here")).toEqual([]);
    expect(layeringViolations('src/repositories/x.ts', 'await sql`select 1`.execute(em.getKysely());')).toEqual([]);
  });
});

describe('the route and cycle rules', () => {
  it('reports a route importing a repository at its line, and lets routes import services and other layers import repositories', () => {
    expect(layeringViolations('src/http/routes/x.ts', "import { z } from 'zod';\nimport { getCouponRow } from '../../repositories/coupons';")).toEqual([
      'src/http/routes/x.ts:2: a route imports a repository (../../repositories/coupons)',
    ]);
    expect(layeringViolations('src/http/routes/x.ts', "import type { CouponRow } from '../../repositories/coupons';")).toEqual([
      'src/http/routes/x.ts:1: a route imports a repository (../../repositories/coupons)',
    ]);
    expect(layeringViolations('src/http/routes/x.ts', "import { createCoupon } from '../../services/coupons';")).toEqual([]);
    expect(layeringViolations('src/services/x.ts', "import { getCouponRow } from '../repositories/coupons';")).toEqual([]);
    expect(layeringViolations('src/http/app.ts', "import { x } from '../repositories/x';")).toEqual([]);
  });

  it('reads runtime imports (not type-only ones) and finds each cycle once, with the lines of its imports', () => {
    const files: Record<string, string> = {
      'src/a.ts': "import { b } from './b';\nimport type { C } from './c';",
      'src/b.ts': "// a comment\nexport { c } from './c';",
      'src/c.ts': "import {\n  a,\n} from './a';\nimport { d } from './d';",
      'src/d.ts': "import type { A } from './a';\nimport x from 'luxon';",
      'src/e/index.ts': "import { f } from '../f';",
      'src/f.ts': "import { e } from './e';",
    };
    const exists = (p: string) => p in files;
    const graph = new Map(Object.entries(files).map(([f, s]) => [f, runtimeImports(f, s, exists)]));
    expect(graph.get('src/a.ts')).toEqual([{ to: 'src/b.ts', line: 1 }]);
    expect(graph.get('src/d.ts')).toEqual([]);
    expect(graph.get('src/f.ts')).toEqual([{ to: 'src/e/index.ts', line: 1 }]);
    expect(importCycles(graph)).toEqual([
      'src/e/index.ts:1 → src/f.ts:1 → src/e/index.ts',
      'src/a.ts:1 → src/b.ts:2 → src/c.ts:1 → src/a.ts',
    ]);
    graph.set('src/c.ts', [{ to: 'src/d.ts', line: 4 }]);
    graph.set('src/f.ts', []);
    expect(importCycles(graph)).toEqual([]);
  });
});

describe('the console', () => {
  const files = consoleFiles();

  it('takes the API shapes from the contracts, and only as types (nothing of zod or the server is bundled)', () => {
    expect(files).toEqual(expect.arrayContaining(['console/src/api.ts', 'console/src/pages/coupon-form.tsx']));
    expect(readFileSync(join(ROOT, 'console/src/api.ts'), 'utf8')).toContain("from '../../src/contracts/types'");
    expect(files.flatMap((f) => consoleValueImports(f, readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });

  it('the scanner reports value imports and re-exports of server code and zod, at their line, and lets type-only ones pass', () => {
    expect(consoleValueImports('console/src/pages/x.tsx', "import { useState } from 'react';\nimport { Coupon } from '../../../src/contracts/coupons';")).toEqual([
      'console/src/pages/x.tsx:2: imports server code or zod as a value (../../../src/contracts/coupons)',
    ]);
    expect(consoleValueImports('console/src/x.ts', "import {\n  z,\n} from 'zod';\nexport { Coupon } from '../../src/contracts/types';")).toEqual([
      'console/src/x.ts:1: imports server code or zod as a value (zod)',
      'console/src/x.ts:4: exports server code or zod as a value (../../src/contracts/types)',
    ]);
    expect(consoleValueImports('console/src/x.ts', "const m = await import('../../src/domain');")).toEqual([
      'console/src/x.ts:1: imports server code or zod as a value (../../src/domain)',
    ]);
    expect(consoleValueImports('console/src/x.ts', [
      "import type { Coupon } from '../../src/contracts/types';",
      "export type { Code } from '../../src/contracts/types';",
      "import { get, type Page } from './api';",
      "import { useQuery } from '@tanstack/react-query';",
      "// import { z } from 'zod';",
    ].join('\n'))).toEqual([]);
  });
});
