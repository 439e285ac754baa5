#!/usr/bin/env node
"use strict";
// Removes dist/ before the package build (`npm run prepare`, which npm runs on `npm ci`, `npm pack`,
// `npm publish` and installs from a git URL), so the package never ships a compiled file whose
// source was deleted or renamed, nor the tests and benchmarks `tsc -p .` compiles beside it.
const fs = require("node:fs");
const path = require("node:path");
fs.rmSync(path.join(__dirname, "..", "dist"), { recursive: true, force: true });
