/**
 * Runs notebooks/10-what-breaks-without-the-outliers.ipynb in a tslab kernel with small parameters: the
 * embedded model after a bare SYNTHETIC encoder without a head (as the report passes every model), no
 * sentence encoder (so no cached model is needed), and the SYNTHETIC planted-head row.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { executeNotebook } from "../../src/report/execute.js";

const root = path.resolve(__dirname, "..", "..", "..");
const notebook = path.join(root, "notebooks", "10-what-breaks-without-the-outliers.ipynb");

test("notebook 10 runs and its SYNTHETIC row shows the planted dim hurting the loss far more than random dims", async () => {
  const nb = await executeNotebook(notebook, {
    parameters: { models: [path.join(root, "test", "fixtures", "families", "bert"), path.join(root, "models", "mlm-pos")], encoders: [], sample: 24, mlmSample: 12, repeats: 2 },
  });
  const outputs = nb.cells.flatMap((c) => (c.outputs ?? []) as { data?: Record<string, unknown> }[]);
  const texts = outputs.map((o) => JSON.stringify(o));
  const table = outputs.map((o) => o.data?.["application/vnd.positional-artefacts.table+json"] as { id: string; rows: (string | number | null)[][] } | undefined).find((t) => t?.id === "mlm-ablation-loss");
  assert.ok(table, "the loss table is shown as a table output");
  const row = table!.rows.find((r) => r[0] === "SYNTHETIC bert, planted dim 5 (head reads it)");
  assert.ok(row, JSON.stringify(table!.rows));
  assert.deepEqual(row!.slice(1, 4), ["5", "hidden_states", "0-2"]);
  const [clean, ablated] = [row![4], row![5]] as number[];
  const random = Number(/^([\d.]+) ± [\d.]+$/.exec(String(row![6]))![1]);
  assert.ok(ablated - clean > 0.5 && Math.abs(random - clean) < 0.05 * (ablated - clean), JSON.stringify(row));
  // the embedded model, the first with a head, gets the four site and layer-range rows; the bare encoder is listed as headless
  assert.equal(table!.rows.filter((r) => /^mlm-pos/.test(String(r[0]))).length, 4, JSON.stringify(table!.rows));
  assert.ok(texts.some((t) => /Without a masked-LM head \(no loss to score; list them in `encoders` for a downstream score\): .*bert/.test(t)));
  assert.ok(texts.some((t) => t.includes("No sentence encoder without a head is cached here")));
});
