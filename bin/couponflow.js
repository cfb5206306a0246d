#!/usr/bin/env node
'use strict';
// The couponflow command-line tool; its source is src/cli (compiled by `npm run build`).
// On a Node older than the project's minimum (22.12), it runs itself again under the Node
// pinned in devDependencies when that is installed, so it works from any shell.
const path = require('node:path');
const fs = require('node:fs');

const [major, minor] = process.versions.node.split('.').map(Number);
const tooOld = major < 22 || (major === 22 && minor < 12);
if (tooOld && !process.env.COUPONFLOW_REEXEC) {
  const pinned = path.join(__dirname, '..', 'node_modules', 'node', 'bin', 'node');
  if (fs.existsSync(pinned)) {
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(pinned, [__filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, COUPONFLOW_REEXEC: '1' } });
    process.exit(r.status === null ? 1 : r.status);
  }
  process.stderr.write(`couponflow: Node 22.12 or later is needed, this is ${process.version}\n`);
  process.exit(1);
}

let cli;
try {
  cli = require('../dist/src/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('couponflow: the tool is not built yet; run `npm run build` in the couponflow package\n');
    process.exit(1);
  }
  throw err;
}
cli.run();
