#!/usr/bin/env node
"use strict";
// The tslab kernel for Jupyter and for `artefacts report`, started so that it answers its first
// request only after all its sockets are bound (src/report/tslabKernel.ts says why).
//   artefacts-tslab install [--python PY] [--user | --sys-prefix | --prefix DIR]
//   artefacts-tslab kernel --config-path FILE [--js]
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "dist", "src", "report", "tslabKernel.js");
if (!fs.existsSync(entry)) {
  console.error(`artefacts-tslab: ${entry} is missing; run \`npm run build\` first`);
  process.exit(2);
}
try {
  const status = require(entry).main(process.argv.slice(2));
  if (status !== null) process.exitCode = status;
} catch (e) {
  console.error(e instanceof RangeError || e instanceof TypeError ? e.message : e);
  process.exitCode = 2;
}
