import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadOptional, MissingOptionalError, resolveTslab } from "../../src/report/optional.js";

const root = path.resolve(__dirname, "..", "..", "..");

test("importing the public API loads neither zeromq nor tslab; starting a kernel loads zeromq", () => {
  const script = `
    const pa = require(${JSON.stringify(path.join(root, "dist", "src", "index.js"))});
    const loaded = () => [...new Set(Object.keys(require.cache).map((f) => /[\\\\/]node_modules[\\\\/](zeromq|tslab)[\\\\/]/.exec(f)?.[1]).filter(Boolean))];
    const before = loaded();
    pa.Kernel.start({ cwd: ${JSON.stringify(os.tmpdir())}, argv: ["/nonexistent-pa-kernel"] }).catch((e) => {
      console.log(JSON.stringify({ before, after: loaded(), message: e.message }));
    });`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.before, []);
  assert.deepEqual(out.after, ["zeromq"]);
  assert.match(out.message, /^kernel: cannot start "\/nonexistent-pa-kernel": spawn \/nonexistent-pa-kernel ENOENT; check the kernel command$/);
});

test("loadOptional names the missing package and how to install it", () => {
  const name = "no-such-package-pa-optional";
  const err = (() => {
    try {
      loadOptional(name, "testing", () => require(name));
    } catch (e) {
      return e as MissingOptionalError;
    }
    assert.fail("loadOptional did not throw");
  })();
  assert.ok(err instanceof MissingOptionalError);
  assert.equal(err.packageName, name);
  assert.equal(err.message, `${name} is not installed; testing needs it. Install it with \`npm install ${name}\` in your project (positional-artefacts lists it as an optional dependency, which npm leaves out where it fails to install)`);
  assert.equal((err.cause as { code?: string }).code, "MODULE_NOT_FOUND");
  // The same for a package.json lookup (how the tslab kernel is found).
  assert.throws(() => loadOptional(name, "testing", () => require.resolve(`${name}/package.json`)), MissingOptionalError);
});

test("loadOptional passes on other errors, including a dependency of the package that is missing", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-optional-"));
  try {
    // An installed package whose own require fails: that is a broken install, not a missing package, so the original error stands.
    const pkg = path.join(dir, "node_modules", "pa-broken");
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "pa-broken", main: "index.js" }));
    fs.writeFileSync(path.join(pkg, "index.js"), 'require("pa-missing-inner");');
    const load = () => require(require.resolve("pa-broken", { paths: [dir] }));
    assert.throws(() => loadOptional("pa-broken", "testing", load), (e: Error) => !(e instanceof MissingOptionalError) && /Cannot find module 'pa-missing-inner'/.test(e.message));
    assert.throws(() => loadOptional("x", "testing", () => { throw new TypeError("boom"); }), /^TypeError: boom$/);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("resolveTslab finds the installed tslab", () => {
  assert.equal(resolveTslab(), require.resolve("tslab/package.json"));
  assert.equal(JSON.parse(fs.readFileSync(resolveTslab(), "utf8")).name, "tslab");
});
