#!/usr/bin/env node
"use strict";
// Builds notebooks/NN-name.ipynb from the readable sources in tools/notebooks/src/NN-name.nb
// (so notebook diffs stay reviewable). A source is a list of cells, each opened by a line
//   %% markdown            a markdown cell
//   %% code                a code cell
//   %% code parameters     a code cell tagged "parameters" (the report injects overrides after it)
// and, before the first cell, optionally one line of notebook metadata (merged into the notebook's):
//   %% metadata {"positional-artefacts": {"start": "early"}}   (the report starts it before the others)
// Outputs are never stored; cell ids are derived from the file name and the cell index, so the
// same sources give byte-identical notebooks. `--check` exits 1 when a notebook is out of date.
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const srcDir = path.join(__dirname, "src");
const outDir = path.join(root, "notebooks");

/** Parses one .nb source into cells {type, tags, source}. */
function parseSource(file, text) {
  const cells = [];
  let current = null;
  text.split("\n").forEach((line, i) => {
    if (/^%% metadata /.test(line)) {
      if (cells.length) throw new Error(`${file}:${i + 1}: "%% metadata" must come before the first cell`);
      return;
    }
    const m = /^%% (markdown|code)((?: [a-z-]+)*)\s*$/.exec(line);
    if (m) {
      current = { type: m[1], tags: m[2].trim() ? m[2].trim().split(/\s+/) : [], lines: [] };
      cells.push(current);
    } else if (line.startsWith("%%")) {
      throw new Error(`${file}:${i + 1}: unknown cell marker ${JSON.stringify(line)}; expected "%% markdown", "%% code" or "%% code parameters"`);
    } else if (current) current.lines.push(line);
    else if (line.trim()) throw new Error(`${file}:${i + 1}: text before the first "%% " cell marker`);
  });
  return cells.map((c) => {
    while (c.lines.length && !c.lines[c.lines.length - 1].trim()) c.lines.pop();
    while (c.lines.length && !c.lines[0].trim()) c.lines.shift();
    return { type: c.type, tags: c.tags, source: c.lines.join("\n") };
  });
}

/** The notebook metadata of a source's "%% metadata JSON" line ({} without one). */
function parseMetadata(file, text) {
  const i = text.split("\n").findIndex((l) => /^%% metadata /.test(l));
  if (i < 0) return {};
  const json = text.split("\n")[i].slice("%% metadata ".length);
  let meta;
  try {
    meta = JSON.parse(json);
  } catch (e) {
    throw new Error(`${file}:${i + 1}: "%% metadata" is not followed by JSON (${e.message})`);
  }
  if (!meta || typeof meta !== "object" || Array.isArray(meta)) throw new Error(`${file}:${i + 1}: "%% metadata" must be followed by a JSON object`);
  return meta;
}

/** The nbformat 4.5 JSON of a notebook built from cells (and extra notebook metadata). */
function toNotebook(name, cells, meta = {}) {
  const params = cells.filter((c) => c.tags.includes("parameters")).length;
  if (params !== 1) throw new Error(`${name}: ${params} cells tagged parameters; a notebook needs exactly one`);
  return {
    cells: cells.map((c, i) => {
      const lines = c.source.split("\n").map((l, j, all) => (j < all.length - 1 ? l + "\n" : l));
      const cell = { cell_type: c.type, id: `${name.slice(0, 2)}-${String(i).padStart(2, "0")}`, metadata: c.tags.length ? { tags: c.tags } : {}, source: lines };
      if (c.type === "code") Object.assign(cell, { execution_count: null, outputs: [] });
      return cell;
    }),
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
      ...meta,
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

function main() {
  const check = process.argv.includes("--check");
  const sources = fs.readdirSync(srcDir).filter((f) => /^\d\d-[a-z0-9-]+\.nb$/.test(f)).sort();
  let stale = 0;
  for (const f of sources) {
    const name = f.replace(/\.nb$/, "");
    const file = path.join(srcDir, f);
    const source = fs.readFileSync(file, "utf8");
    const text = JSON.stringify(toNotebook(name, parseSource(file, source), parseMetadata(file, source)), null, 1) + "\n";
    const out = path.join(outDir, `${name}.ipynb`);
    const old = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : null;
    if (old === text) continue;
    if (check) {
      console.error(`notebooks/${name}.ipynb is out of date; run node tools/notebooks/build.js`);
      stale++;
    } else {
      fs.writeFileSync(out, text);
      console.error(`wrote notebooks/${name}.ipynb`);
    }
  }
  if (stale) process.exit(1);
}

module.exports = { parseSource, parseMetadata, toNotebook };
if (require.main === module) main();
