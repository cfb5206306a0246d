#!/usr/bin/env node
'use strict';
// The couponflow command-line tool; its source is src/cli (compiled by `npm run build`).
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
