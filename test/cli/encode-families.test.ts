/**
 * `artefacts encode --layer last --pooling mean` end to end on every family's SYNTHETIC fixture: the
 * vector equals the mean of transformers' last_hidden_state over the sentence's tokens (specials
 * included, as sentence-transformers pools), within 1e-5 relative. For ModernBERT (pre-LN) this is the
 * final norm's output, hidden_states.L.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { familyFixtureNames, loadFamilyFixture, referenceBlock } from "../model/familyFixture.js";

const bin = path.join(__dirname, "..", "..", "..", "bin", "artefacts.js");

for (const name of familyFixtureNames()) {
  test(`artefacts encode --layer last on the ${name} fixture equals the mean of transformers' last_hidden_state`, () => {
    const fx = loadFamilyFixture(name);
    const s = 1; // the punctuated sentence with rare words
    const r = spawnSync(process.execPath, [bin, "encode", "--model", fx.dir, "--layer", "last", "--pooling", "mean", fx.sentences[s]], { encoding: "utf8", env: { ...process.env, PA_THREADS: "1" } });
    assert.equal(r.status, 0, r.stderr);
    const ours = r.stdout.trim().split(/\s+/).map(Number);
    const ref = referenceBlock(fx, "last_hidden_state");
    const H = fx.hidden, start = fx.token_counts.slice(0, s).reduce((a, b) => a + b, 0), n = fx.token_counts[s];
    const max = fx.blocks.find((b) => b.name === "last_hidden_state")!.max_abs;
    assert.equal(ours.length, H);
    for (let d = 0; d < H; ++d) {
      let sum = 0;
      for (let t = 0; t < n; ++t) sum += ref[(start + t) * H + d];
      assert.ok(Math.abs(ours[d] - sum / n) <= 1e-5 * Math.max(1, max), `${name} dim ${d}: ours ${ours[d]}, transformers mean ${sum / n}`);
    }
  });
}
