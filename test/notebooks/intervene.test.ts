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
  const texts = nb.cells.flatMap((c) => (c.outputs ?? []).map((o) => JSON.stringify(o)));
  const table = texts.find((t) => t.includes("loss, random dims"));
  assert.ok(table, "the loss table is shown");
  const row = /\| SYNTHETIC bert, planted dim 5 \(head reads it\) \| 5 \| hidden_states \| 0-2 \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) ± ([\d.]+) \|/.exec(JSON.parse(table!).data?.["text/markdown"] ?? table!);
  assert.ok(row, table);
  const [clean, ablated, random] = row!.slice(1, 4).map(Number);
  assert.ok(ablated - clean > 0.5 && Math.abs(random - clean) < 0.05 * (ablated - clean), row![0]);
  // the embedded model, the first with a head, gets the four site and layer-range rows; the bare encoder is listed as headless
  const md: string = JSON.parse(table!).data["text/markdown"];
  assert.equal((md.match(/^\| mlm-pos[^|]* \|/gm) ?? []).length, 4, md);
  assert.match(md, /Without a masked-LM head \(no loss to score; list them in `encoders` for a downstream score\): .*bert/);
  assert.ok(texts.some((t) => t.includes("No sentence encoder without a head is cached here")));
});
