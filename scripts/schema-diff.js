#!/usr/bin/env node
// Prints the SQL the entities need beyond the committed migrations (nothing when they agree), on a
// scratch database of the server DATABASE_URL names. Run through `npm run schema:diff` (it compiles first).
'use strict';
const { pendingSchemaSql } = require('../dist/src/db/schema-diff.js');

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/couponflow';
pendingSchemaSql(databaseUrl).then(
  (sql) => {
    if (sql) process.stdout.write(`${sql}\n`);
    else process.stderr.write('entities and migrations agree: no schema change pending\n');
  },
  (err) => {
    process.stderr.write(`schema-diff: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
