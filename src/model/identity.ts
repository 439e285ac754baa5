/**
 * A model's identity, the name every title, table, download and provenance record uses: never the
 * folder's basename alone (a MiniLM copy in a folder called `model` is still
 * sentence-transformers/all-MiniLM-L6-v2). In order: the pinned catalog's hub id (matched by name,
 * hub id or the weights' sha256), the sentence-transformers card (README heading and the hub id its
 * usage code loads), a hub-shaped `_name_or_path` in config.json, else "folder (sha256[:8])".
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkpointByWeights, findCheckpoint, readCatalog, type Catalog } from "./catalog.js";
import { hashFileMemo } from "./files.js";

export interface IdentityOptions {
  /** The weights' sha256 when already known (the encoder's provenance has it): saves hashing the file. */
  weightsSha256?: string;
  /** The catalog to match against (default models/checkpoints.json). */
  catalog?: Catalog;
}

const HUB_SHAPED = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/** The identity of `source`: a catalog name or hub id, or a model folder. */
export function modelIdentity(source: string, options: IdentityOptions = {}): string {
  const catalog = options.catalog ?? readCatalog();
  const named = findCheckpoint(source, catalog);
  if (named) return named.hubId;
  const dir = path.resolve(source);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return source;
  const weights = path.join(dir, "model.safetensors");
  const hasWeights = fs.existsSync(weights);
  const sha = options.weightsSha256 ?? (hasWeights ? hashFileMemo(weights).sha256 : null);
  const pinned = sha ? checkpointByWeights(sha, catalog) : undefined;
  if (pinned) return pinned.hubId;
  const card = sentenceTransformersId(dir);
  if (card) return card;
  const nameOrPath = configNameOrPath(dir);
  if (nameOrPath) return nameOrPath;
  const short = sha ?? (fs.existsSync(path.join(dir, "config.json")) ? hashFileMemo(path.join(dir, "config.json")).sha256 : null);
  return short ? `${path.basename(dir)} (${short.slice(0, 8)})` : path.basename(dir);
}

/**
 * The hub id a sentence-transformers folder's README names for itself: the folder must hold
 * modules.json or config_sentence_transformers.json, the README's first `# ` heading gives the
 * model's name, and its usage code (`SentenceTransformer('org/NAME')`, `from_pretrained('org/NAME')`)
 * the organisation. Null when any of these is missing.
 */
export function sentenceTransformersId(dir: string): string | null {
  if (!fs.existsSync(path.join(dir, "modules.json")) && !fs.existsSync(path.join(dir, "config_sentence_transformers.json"))) return null;
  let readme: string;
  try {
    readme = fs.readFileSync(path.join(dir, "README.md"), "utf8").slice(0, 200_000);
  } catch {
    return null;
  }
  const heading = /^# +([\w.-]+)\s*$/m.exec(readme.replace(/^---[\s\S]*?\n---\s*\n/, ""));
  if (!heading) return null;
  const name = heading[1];
  const escaped = name.replace(/[.]/g, "\\.");
  const used = new RegExp(`(?:SentenceTransformer|from_pretrained)\\(\\s*['"]([\\w.-]+)/${escaped}['"]`).exec(readme);
  return used ? `${used[1]}/${name}` : null;
}

/** config.json's `_name_or_path` when it is shaped like a hub id (org/name), else null (local paths say nothing). */
export function configNameOrPath(dir: string): string | null {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"))._name_or_path;
    return typeof v === "string" && HUB_SHAPED.test(v) ? v : null;
  } catch {
    return null;
  }
}
