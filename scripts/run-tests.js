#!/usr/bin/env node
"use strict";
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner in one process tree.
// Node 20's --test takes no globs, so the files are listed here. TEST_FILTER=substr limits the set.
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const root = path.join(__dirname, "..", "dist", "test");
const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith(".test.js")) files.push(p);
  }
})(root);
const filter = process.env.TEST_FILTER;
const chosen = filter ? files.filter((f) => f.includes(filter)) : files;
if (chosen.length === 0) { console.error("run-tests: no test files found under dist/test"); process.exit(1); }
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...chosen], { stdio: "inherit" });
process.exit(r.status ?? 1);
