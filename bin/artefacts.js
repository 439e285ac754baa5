#!/usr/bin/env node
"use strict";
// Thin launcher: the CLI is compiled from src/cli by `npm run build`.
const path = require("node:path");
const fs = require("node:fs");
const main = path.join(__dirname, "..", "dist", "src", "cli", "main.js");
if (!fs.existsSync(main)) {
  console.error(`artefacts: ${main} is missing; run \`npm run build\` first`);
  process.exit(2);
}

// A very long argument (a sentence of 50,000 characters) crashes onnxruntime's native code with SIGSEGV
// (deep recursion while it reads the process command line, /proc/self/cmdline). Above RELAY_BYTES
// of arguments this process therefore re-runs itself with a short command line and hands the
// arguments over a pipe (fd 3, JSON): the child sees them exactly, onnxruntime sees a short cmdline.
const RELAY_BYTES = 8192;
const RELAY_FD_ENV = "PA_ARGV_FD";

function argv() {
  if (process.env[RELAY_FD_ENV] !== "3") return process.argv.slice(2);
  delete process.env[RELAY_FD_ENV];
  const chunks = [];
  const buf = Buffer.allocUnsafe(1 << 16);
  for (let n; (n = fs.readSync(3, buf, 0, buf.length, null)) > 0;) chunks.push(Buffer.from(buf.subarray(0, n)));
  fs.closeSync(3);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const args = process.env[RELAY_FD_ENV] === "3" ? null : process.argv.slice(2);
if (args && args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) > RELAY_BYTES) {
  const { spawn } = require("node:child_process");
  const child = spawn(process.execPath, [...process.execArgv, __filename], {
    stdio: ["inherit", "inherit", "inherit", "pipe"],
    env: { ...process.env, [RELAY_FD_ENV]: "3" },
  });
  child.stdio[3].end(JSON.stringify(args));
  // Ctrl-C reaches the child from the terminal itself (same process group); a kill of this process is passed on
  process.on("SIGINT", () => {});
  for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (!signal) process.exitCode = code ?? 1;
    else {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
  });
} else {
  require(main).main(argv()).then(
    (code) => { process.exitCode = code ?? 0; },
    (err) => { console.error(`artefacts: ${err && err.message ? err.message : err}`); process.exitCode = 1; },
  );
}
