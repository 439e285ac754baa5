/**
 * Runs notebooks/10-what-breaks-without-the-outliers.ipynb in a tslab kernel with small parameters: the
 * embedded model (no sentence encoder, so no cached model is needed) and the SYNTHETIC planted-head row.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { executeNotebook } from "../../src/report/execute.js";

const root = path.resolve(__dirname, "..", "..", "..");
const notebook = path.join(root, "notebooks", "10-what-breaks-without-the-outliers.ipynb");

test("notebook 10 runs and its SYNTHETIC row shows the planted dim hurting the loss far more than random dims", async () => {
  const nb = await executeNotebook(notebook, {
    parameters: { models: [path.join(root, "models", "mlm-pos")], encoders: [], sample: 24, mlmSample: 12, repeats: 2 },
  });
  const texts = nb.cells.flatMap((c) => (c.outputs ?? []).map((o) => JSON.stringify(o)));
  const table = texts.find((t) => t.includes("loss, random dims"));
  assert.ok(table, "the loss table is shown");
  const row = /\| SYNTHETIC bert, planted dim 5 \(head reads it\) \| 5 \| hidden_states \| 0-2 \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) ± ([\d.]+) \|/.exec(JSON.parse(table!).data?.["text/markdown"] ?? table!);
  assert.ok(row, table);
  const [clean, ablated, random] = row!.slice(1, 4).map(Number);
  assert.ok(ablated - clean > 0.5 && Math.abs(random - clean) < 0.05 * (ablated - clean), row![0]);
  // the embedded model's four conditions are there too
  assert.equal((table!.match(/\| mlm-pos|\| [^|]*mlm-pos[^|]* \|/g) ?? []).length >= 1, true);
  assert.ok(texts.some((t) => t.includes("No sentence encoder without a head is cached here")));
});
