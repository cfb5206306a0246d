#!/usr/bin/env node
// Fails when package-lock.json lacks an entry for an optional dependency of a locked package
// (another platform's native build, for example), which makes `npm ci` fail on that platform.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const packages = lock.packages ?? {};

/** Resolves `name` from the package at `from` the way Node does: nearest node_modules upwards. */
function resolves(from, name) {
  let dir = from;
  for (;;) {
    const candidate = (dir ? `${dir}/` : '') + `node_modules/${name}`;
    if (packages[candidate]) return true;
    if (!dir) return false;
    const at = dir.lastIndexOf('node_modules/');
    if (at < 0) return false;
    dir = dir.slice(0, at).replace(/\/$/, '');
  }
}

const missing = [];
for (const [where, pkg] of Object.entries(packages)) {
  for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
    if (!resolves(where, name)) missing.push(`${name} (optional dependency of ${where || 'the project'})`);
  }
}
if (missing.length > 0) {
  console.error(`package-lock.json is incomplete: ${missing.length} optional packages have no entry:`);
  for (const m of missing.slice(0, 20)) console.error(`  ${m}`);
  console.error('Run `npm install` on a machine that reaches the registry and commit the lock file.');
  process.exit(1);
}
console.log(`package-lock.json is complete (${Object.keys(packages).length} entries).`);
