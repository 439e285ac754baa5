/**
 * resolveSource against a loopback HTTP server (127.0.0.1, ephemeral port) that serves a SYNTHETIC
 * checkpoint (seeded random weights, not trained) in the hub's URL layout. No real host is contacted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { COMPLETE_MARKER, parseHubId, resolveSource } from "../../src/model/source.js";
import { synthesize } from "../../src/model/synth.js";
import { createEncoder } from "../../src/model/encoder.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-source-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Serves `dir`'s files at /org/tiny/resolve/main/<file>; 404 for anything else. Logs each request path. */
async function hub(dir: string, repo = "org/tiny", revision = "main"): Promise<{ endpoint: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    const prefix = `/${repo}/resolve/${revision}/`;
    const file = req.url!.startsWith(prefix) ? path.join(dir, decodeURIComponent(req.url!.slice(prefix.length))) : null;
    if (!file || path.dirname(file) !== dir || !fs.existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-length": fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test("parseHubId splits org/name@revision and rejects what is not an id", () => {
  assert.deepEqual(parseHubId("org/name"), { repo: "org/name", revision: "main" });
  assert.deepEqual(parseHubId("org/name@v1.0"), { repo: "org/name", revision: "v1.0" });
  assert.deepEqual(parseHubId("bert-base-uncased"), { repo: "bert-base-uncased", revision: "main" });
  assert.equal(parseHubId("org/../etc"), null);
  assert.equal(parseHubId("a/b/c"), null);
  assert.equal(parseHubId("has space/x"), null);
});

test("resolveSource downloads a hub id once, then reuses the cache with the server stopped", async () => {
  const model = await synthesize({ arch: "bert", layers: 1, hidden: 8, heads: 2, seed: 2, positions: 16, out: path.join(tmp, "served") });
  const server = await hub(model);
  const cacheDir = path.join(tmp, "cache");
  const progress: string[] = [];
  let first;
  try {
    first = await resolveSource("org/tiny", { cacheDir, endpoint: server.endpoint, offline: false, onProgress: (m) => progress.push(m) });
  } finally {
    await server.close();
  }
  assert.deepEqual(first, { kind: "hf-folder", dir: path.join(cacheDir, "hub", "org", "tiny", "main"), id: "org/tiny@main" });
  // every file of the synthetic folder the hub serves came down byte for byte, absent ones were asked for and skipped
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "model.safetensors"]) {
    assert.ok(fs.readFileSync(path.join(first.dir, f)).equals(fs.readFileSync(path.join(model, f))), f);
  }
  assert.ok(server.requests.includes("/org/tiny/resolve/main/merges.txt"));
  assert.ok(!fs.existsSync(path.join(first.dir, "merges.txt")));
  assert.ok(fs.existsSync(path.join(first.dir, COMPLETE_MARKER)));
  assert.deepEqual(fs.readdirSync(first.dir).filter((f) => f.includes(".tmp-")), []);
  assert.ok(progress.some((m) => /^downloading model\.safetensors \([\d,]+ bytes\)$/.test(m)), progress.join("\n"));

  // the server is gone: the cached copy is used without any network, and it encodes
  const again = await resolveSource("org/tiny@main", { cacheDir, endpoint: server.endpoint, onProgress: (m) => progress.push(m) });
  assert.deepEqual(again, first);
  assert.match(progress.at(-1)!, /^using the cached copy of org\/tiny@main/);
  const enc = await createEncoder("org/tiny", { cacheDir, endpoint: server.endpoint, threads: 1 });
  try {
    assert.equal(enc.id, "org/tiny@main");
    assert.equal(enc.layers, 1);
  } finally {
    await enc.dispose();
  }
});

test("resolveSource offline or unreachable without a cached copy says how to supply a folder", async () => {
  const cacheDir = path.join(tmp, "empty-cache");
  await assert.rejects(resolveSource("org/absent", { cacheDir, offline: true }),
    /org\/absent@main: offline \(HF_HUB_OFFLINE\) and no cached copy in .*; pass a local folder with --model \/path\/to\/folder \(for example after `huggingface-cli download org\/absent --local-dir DIR`\)/);
  const saved = process.env.HF_HUB_OFFLINE;
  process.env.HF_HUB_OFFLINE = "1";
  try {
    await assert.rejects(resolveSource("org/absent", { cacheDir }), /offline \(HF_HUB_OFFLINE\)/);
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_OFFLINE;
    else process.env.HF_HUB_OFFLINE = saved;
  }
  // a closed loopback port: connection refused
  const server = await hub(tmp);
  await server.close();
  await assert.rejects(resolveSource("org/absent", { cacheDir, endpoint: server.endpoint, offline: false }),
    /org\/absent@main: cannot download from http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) and no cached copy in .*; pass a local folder with --model \/path\/to\/folder/);
});

test("resolveSource reports a repository without weights or config, and leaves no complete marker", async () => {
  const partial = path.join(tmp, "partial");
  fs.mkdirSync(partial);
  fs.copyFileSync(path.join(tmp, "served", "config.json"), path.join(partial, "config.json"));
  fs.copyFileSync(path.join(tmp, "served", "tokenizer.json"), path.join(partial, "tokenizer.json"));
  fs.copyFileSync(path.join(tmp, "served", "tokenizer_config.json"), path.join(partial, "tokenizer_config.json"));
  const server = await hub(partial, "org/noweights");
  const cacheDir = path.join(tmp, "cache2");
  try {
    await assert.rejects(resolveSource("org/noweights", { cacheDir, endpoint: server.endpoint, offline: false }),
      /org\/noweights@main: neither model\.safetensors nor model\.safetensors\.index\.json is on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\)/);
    await assert.rejects(resolveSource("org/missing", { cacheDir, endpoint: server.endpoint, offline: false }),
      /org\/missing@main: config\.json is not on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\)/);
  } finally {
    await server.close();
  }
  assert.ok(!fs.existsSync(path.join(cacheDir, "hub", "org", "noweights", "main", COMPLETE_MARKER)));
});

test("resolveSource passes local folders through and rejects what is neither a folder nor an id", async () => {
  const local = await resolveSource(path.join(tmp, "served"));
  assert.deepEqual(local, { kind: "hf-folder", dir: path.join(tmp, "served"), id: path.join(tmp, "served") });
  await assert.rejects(resolveSource(path.join(tmp, "nope")), /nope: no such folder; pass a Hugging Face folder/);
  await assert.rejects(resolveSource("not an id!"), /model source: "not an id!" is neither an existing folder nor a hub id/);
});
