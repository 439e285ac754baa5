/**
 * A shard file (artefacts analyze --shard): JSON Lines, so that no line holds more than one state
 * (a whole shard of a large model can pass V8's string limit). Line 1 is the header (ShardHeader:
 * everything but the states, with each node's envelope count), then every node's envelopes in order,
 * then an end line with the line count and the sha256 of everything before it. Written to a temporary
 * name and renamed; read by checking the end line and the hash first (a truncated or corrupt file is
 * refused before any merge work), then streaming the nodes one at a time.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as readline from "node:readline";
import { SHARD_FORMAT, shardHeader, type ShardHeader, type ShardSource, type ShardState } from "../analysis/shard.js";
import type { StateEnvelope } from "../analysis/state.js";
import { tempName } from "./output.js";

interface EndLine {
  end: typeof SHARD_FORMAT;
  lines: number;
  sha256: string;
}

/** Writes `shard` to `file` atomically (a temporary name beside it, then rename). */
export function writeShardFile(file: string, shard: ShardState): void {
  const tmp = tempName(file);
  const hash = crypto.createHash("sha256");
  let fd: number | null = null, lines = 0;
  const line = (value: unknown) => {
    const text = JSON.stringify(value) + "\n";
    hash.update(text);
    fs.writeSync(fd!, text);
    ++lines;
  };
  try {
    fd = fs.openSync(tmp, "w");
    line(shardHeader(shard));
    for (const n of shard.nodes) for (const e of n.value.states) line(e);
    const end: EndLine = { end: SHARD_FORMAT, lines, sha256: hash.digest("hex") };
    fs.writeSync(fd, JSON.stringify(end) + "\n");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write the shard (${(err as Error).message}); check that the folder exists and is writable`, { cause: err });
  }
}

/** Opens a shard file: checks its end line and hash, parses its header; the nodes stream later. */
export async function openShardFile(file: string): Promise<ShardSource> {
  const damaged = (what: string) => new Error(`${file}: ${what}; the shard file is truncated or corrupt: rerun that shard (artefacts analyze --shard K/N)`);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new Error(`${file}: cannot read the shard (${(err as Error).message}); check the path`, { cause: err });
  }
  const tail = readTail(file, size);
  const cut = tail.text.lastIndexOf("\n", tail.text.length - 2);
  let end: Partial<EndLine> | null = null;
  try {
    end = tail.text.endsWith("\n") ? (JSON.parse(tail.text.slice(cut + 1)) as Partial<EndLine>) : null;
  } catch {
    end = null;
  }
  if (!end || end.end !== SHARD_FORMAT || typeof end.sha256 !== "string") throw damaged("no end line (the write stopped before it finished)");
  const body = size - (tail.text.length - cut - 1);
  const sha = await hashRange(file, body);
  if (sha !== end.sha256) throw damaged(`its content does not match the sha256 in its end line (${end.sha256.slice(0, 12)}, content ${sha.slice(0, 12)})`);
  const lines = lineReader(file, body);
  const first = await lines.next();
  let header: ShardHeader;
  try {
    header = JSON.parse(first.done ? "" : first.value) as ShardHeader;
  } catch (err) {
    throw damaged(`line 1 is not JSON (${(err as Error).message})`);
  } finally {
    await lines.return?.(undefined);
  }
  return { name: file, header, nodes: () => nodesOf(file, body, header) };
}

/** The nodes of a checked file, each with its envelopes parsed, one node in memory at a time. */
async function* nodesOf(file: string, body: number, header: ShardHeader): AsyncGenerator<ShardState["nodes"][number]> {
  const lines = lineReader(file, body);
  await lines.next();
  let at = 1;
  for (const n of header.nodes) {
    const states: StateEnvelope[] = [];
    for (let k = 0; k < n.states; ++k) {
      const next = await lines.next();
      ++at;
      if (next.done) throw new Error(`${file}: ends at line ${at - 1}, inside node (${n.level}, ${n.index}); the shard file is truncated: rerun that shard`);
      states.push(JSON.parse(next.value) as StateEnvelope);
    }
    yield { level: n.level, index: n.index, value: { sentences: n.sentences, tokens: n.tokens, truncated: n.truncated, states } };
  }
  await lines.return?.(undefined);
}

function lineReader(file: string, end: number): AsyncIterator<string> {
  const stream = fs.createReadStream(file, { encoding: "utf8", start: 0, end: Math.max(0, end - 1) });
  return readline.createInterface({ input: stream, crlfDelay: Infinity })[Symbol.asyncIterator]();
}

function readTail(file: string, size: number): { text: string } {
  const n = Math.min(size, 4096);
  const buf = Buffer.alloc(n);
  const fd = fs.openSync(file, "r");
  try {
    fs.readSync(fd, buf, 0, n, size - n);
  } finally {
    fs.closeSync(fd);
  }
  return { text: buf.toString("utf8") };
}

async function hashRange(file: string, end: number): Promise<string> {
  const hash = crypto.createHash("sha256");
  if (end > 0) for await (const chunk of fs.createReadStream(file, { start: 0, end: end - 1 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
