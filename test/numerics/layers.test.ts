/**
 * The flow runs one way (DESIGN.md §1): numerics < model, data < analysis < figures < report < cli <
 * index. This test reads every import, export-from, require() and import() of src/ and fails on any
 * arrow that points up the flow or across the two siblings model/ and data/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const src = path.join(__dirname, "..", "..", "..", "src");

/** Rank of each top-level folder (or file) of src/ in the flow; equal ranks are siblings that must not import each other. */
export const LAYERS: Record<string, number> = {
  numerics: 0, model: 1, data: 1, "defaults.ts": 1, analysis: 2, figures: 3, report: 4, cli: 5, "index.ts": 6,
};

export interface Arrow { from: string; to: string; line: number }

/** Every relative import of every .ts file under `dir` (paths relative to `dir`). */
export function importGraph(dir: string): Arrow[] {
  const out: Arrow[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) {
        const text = fs.readFileSync(p, "utf8");
        const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](\.[^"']*)["']/gm;
        for (const m of text.matchAll(re)) {
          const target = path.relative(dir, path.resolve(path.dirname(p), m[1])).replace(/\.js$/, ".ts").split(path.sep).join("/");
          // the package.json lookups climb out of src/ (run.ts' versions): not an arrow inside src
          if (target.startsWith("..")) continue;
          out.push({ from: path.relative(dir, p).split(path.sep).join("/"), to: target, line: text.slice(0, m.index).split("\n").length });
        }
      }
    }
  };
  walk(dir);
  return out;
}

const layerOf = (file: string): string => file.split("/")[0];

/** Arrows whose target is above their source in LAYERS, or a sibling folder of the same rank. */
export function upwardArrows(arrows: readonly Arrow[]): Arrow[] {
  return arrows.filter((a) => {
    const f = layerOf(a.from), t = layerOf(a.to);
    if (!(f in LAYERS) || !(t in LAYERS)) throw new Error(`${a.from}: unknown layer of ${f} or ${t}; add it to LAYERS in test/numerics/layers.test.ts`);
    return f !== t && LAYERS[t] >= LAYERS[f];
  });
}

/**
 * Sideways arrows accepted for now, each with its reason. data/formats/text.ts reads text through the
 * bounded reader of model/files.ts (issue 20); that reader belongs on the floor beside numerics/.
 */
const ACCEPTED = new Set(["data/formats/text.ts -> model/files.ts"]);

test("the import graph of src/ has no arrow up the flow", () => {
  const arrows = importGraph(src);
  assert.ok(arrows.length > 100, `read only ${arrows.length} imports; the reader is broken`);
  const up = upwardArrows(arrows).filter((a) => !ACCEPTED.has(`${a.from} -> ${a.to}`));
  assert.deepEqual(up.map((a) => `${a.from}:${a.line} -> ${a.to}`), []);
});

test("upwardArrows catches an arrow up the flow and one across siblings, not one down", () => {
  const up = upwardArrows([
    { from: "model/linalg.ts", to: "analysis/linalg.ts", line: 1 },
    { from: "data/sample.ts", to: "model/types.ts", line: 2 },
    { from: "analysis/run.ts", to: "numerics/options.ts", line: 3 },
    { from: "analysis/run.ts", to: "analysis/batch.ts", line: 4 },
  ]);
  assert.deepEqual(up.map((a) => a.line), [1, 2]);
});
