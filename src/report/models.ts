/**
 * The report's models, made ready before any notebook runs: each pinned checkpoint is fetched (or
 * found in the cache), and every model is checked to load (its config and weights' layout, no
 * encoding). A model that cannot be fetched or loaded is skipped with its reason, so the report still
 * builds with the others and says which were skipped and why in its first section.
 */
import { findCheckpoint, fetchCheckpoint } from "../model/catalog.js";
import { inspectSource } from "../model/export.js";
import { resolveSource } from "../model/source.js";

export interface PreparedModels {
  /** Sources that load, in the order given. */
  available: string[];
  skipped: { model: string; reason: string }[];
  /** Seconds spent downloading (0 when everything was cached). */
  downloadSeconds: number;
}

export async function prepareModels(sources: readonly string[], { offline = false, onProgress }: { offline?: boolean; onProgress?: (m: string) => void } = {}): Promise<PreparedModels> {
  const available: string[] = [];
  const skipped: { model: string; reason: string }[] = [];
  let downloadSeconds = 0;
  for (const source of sources) {
    const pinned = findCheckpoint(source);
    const name = pinned ? pinned.hubId : source;
    try {
      let dir: string;
      if (pinned) {
        const r = await fetchCheckpoint(pinned, { offline, onProgress });
        downloadSeconds += r.downloadSeconds;
        dir = r.dir;
      } else {
        dir = (await resolveSource(source, { offline, onProgress })).dir;
      }
      inspectSource(dir);
      available.push(source);
    } catch (e) {
      const reason = firstLine((e as Error).message);
      onProgress?.(`skipping ${name}: ${reason}`);
      skipped.push({ model: name, reason });
    }
  }
  return { available, skipped, downloadSeconds };
}

/** The message's first line, with the cache's absolute paths shortened to their last two parts. */
function firstLine(message: string): string {
  return message.split("\n")[0].replace(/(?:\/[^\s/:]+)+\/([^\s/:]+\/[^\s/:]+)(?=[:\s)]|$)/g, "…/$1");
}
