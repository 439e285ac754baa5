import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { INPUT_LOG_ENV, noteInput, readInputLog } from "../../src/numerics/inputs.js";

test("noteInput appends to the PA_INPUT_LOG file only when it is set; readInputLog gives each record once, in order", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-inputs-"));
  const log = path.join(dir, "log.jsonl");
  const before = process.env[INPUT_LOG_ENV];
  try {
    delete process.env[INPUT_LOG_ENV];
    noteInput({ kind: "file", path: "a.txt" });
    assert.ok(!fs.existsSync(log));
    assert.deepEqual(readInputLog(log), []);
    process.env[INPUT_LOG_ENV] = log;
    noteInput({ kind: "file", path: "a.txt" });
    noteInput({ kind: "model", dir: "/m" });
    noteInput({ kind: "file", path: "a.txt" });
    assert.deepEqual(readInputLog(log), [{ kind: "file", path: path.resolve("a.txt") }, { kind: "model", dir: "/m" }]);
  } finally {
    if (before === undefined) delete process.env[INPUT_LOG_ENV];
    else process.env[INPUT_LOG_ENV] = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
