/**
 * Preloaded by the paper mode (`node -r dist/bench/peakAtExit.js bin/artefacts.js analyze ...`): at
 * exit, writes the process's peak resident memory (bench/memory.ts peakMiB: maxRSS and VmHWM, MiB) as
 * JSON to the file PA_BENCH_PEAK_FILE names, so the CLI runs exactly as a user runs it.
 */
import * as fs from "node:fs";
import { peakMiB } from "./memory.js";

const file = process.env.PA_BENCH_PEAK_FILE;
if (file) process.on("exit", () => fs.writeFileSync(file, JSON.stringify(peakMiB())));
