/**
 * scripts/slurm/analyze-array.sh on a real one-node Slurm cluster (Debian's slurmctld, slurmd and
 * munge; settings from the project's one-node notes): installs the packages if missing (root and
 * apt-get), starts a private munged (own socket) and slurmctld + slurmd (own config, ports, state and
 * logs under a temporary folder), submits N = 3 shards of a small sample of the embedded model
 * models/mlm-pos and the dependent merge job, waits, and checks the merged results are the single
 * run's bytes (provenance aside). The daemons are stopped by the PIDs in their pid files and the
 * folder removed; the test checks that no process of its own is left. Where Slurm cannot be installed
 * or started (not root, no apt-get, no munge key) it is skipped with the reason printed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const root = path.join(__dirname, "..", "..", "..");
const script = path.join(root, "scripts", "slurm", "analyze-array.sh");
const DAEMONS = ["slurmctld", "slurmd", "munged", "sbatch", "squeue", "scontrol"];
const analyze = ["--model", path.join(root, "models", "mlm-pos"), "--sample", "40", "--fit-sentences", "10", "--block-sentences", "9", "--seed", "3", "--threads", "1", "--worker", "off"];

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd} || test -x /usr/sbin/${cmd}`]).status === 0;

/** Why Slurm cannot run here (null: it can), after installing the packages where that is possible. */
function unavailable(): string | null {
  if (process.platform !== "linux") return `Slurm test: ${process.platform} is not Linux`;
  if (process.getuid?.() !== 0) return "Slurm test: not root (the one-node cluster runs its daemons as root)";
  if (!DAEMONS.every(has)) {
    if (!has("apt-get")) return `Slurm test: ${DAEMONS.filter((d) => !has(d)).join(", ")} missing and no apt-get to install slurmd slurmctld slurm-client munge`;
    const r = spawnSync("apt-get", ["install", "-y", "slurmd", "slurmctld", "slurm-client", "munge"], { encoding: "utf8", timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (r.status !== 0 || !DAEMONS.every(has)) return `Slurm test: apt-get install slurmd slurmctld slurm-client munge failed (${(r.stderr || r.error?.message || "").trim().split("\n").at(-1)})`;
  }
  if (!fs.existsSync("/etc/munge/munge.key")) return "Slurm test: /etc/munge/munge.key is missing (the munge package creates it; reinstall munge)";
  return null;
}

const skip = unavailable();
if (skip) process.stderr.write(`${skip}; skipped\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    }).on("error", reject);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops a daemon by the PID in its pid file (TERM, then KILL after 15 s); returns the PID. */
async function stop(pidFile: string): Promise<number | null> {
  if (!fs.existsSync(pidFile)) return null;
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  if (alive(pid)) process.kill(pid, "SIGTERM");
  for (let i = 0; i < 150 && alive(pid); ++i) await sleep(100);
  if (alive(pid)) process.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && alive(pid); ++i) await sleep(100);
  return pid;
}

function config(dir: string, sock: string, ports: [number, number]): string {
  const host = os.hostname().split(".")[0];
  return [
    "ClusterName=pa-test", `SlurmctldHost=${host}`, `SlurmctldPort=${ports[0]}`, `SlurmdPort=${ports[1]}`,
    "AuthType=auth/munge", `AuthInfo=socket=${sock}`, "CredType=cred/munge", "SlurmUser=root", "SlurmdUser=root",
    `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`, `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`, `SlurmdLogFile=${dir}/log/slurmd.log`,
    "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "JobAcctGatherType=jobacct_gather/none",
    "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core", "ReturnToService=2", "MpiDefault=none",
    `NodeName=${host} CPUs=${os.availableParallelism()} State=UNKNOWN`, "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", "",
  ].join("\n");
}

/** The job's state from scontrol (COMPLETED, FAILED, ...), or null once Slurm has forgotten it. */
function jobState(env: NodeJS.ProcessEnv, id: string): string | null {
  const r = spawnSync("scontrol", ["show", "job", id], { encoding: "utf8", env });
  return /JobState=(\w+)/.exec(r.stdout)?.[1] ?? null;
}

test("analyze-array.sh: a 3-shard job array and its dependent merge on a one-node Slurm equal the single run", { skip: skip ?? false, timeout: 600_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-slurm-"));
  const env = { ...process.env, SLURM_CONF: path.join(dir, "slurm.conf"), ARTEFACTS: `${process.execPath} ${path.join(root, "bin", "artefacts.js")}`, PA_THREADS: "1" };
  const pids: number[] = [];
  const jobs: string[] = [];
  try {
    fs.chmodSync(dir, 0o755);
    for (const d of ["munge", "state", "spool", "log", "out"]) fs.mkdirSync(path.join(dir, d));
    spawnSync("chown", ["munge:munge", path.join(dir, "munge")]);
    const sock = path.join(dir, "munge", "munge.sock");
    const t0 = Date.now();
    const munged = spawnSync("su", ["-s", "/bin/sh", "munge", "-c", `/usr/sbin/munged --socket=${sock} --pid-file=${dir}/munge/munged.pid --log-file=${dir}/munge/munged.log --seed-file=${dir}/munge/munged.seed`], { encoding: "utf8" });
    assert.equal(munged.status, 0, `munged: ${munged.stderr}`);
    fs.writeFileSync(env.SLURM_CONF, config(dir, sock, [await freePort(), await freePort()]));
    for (const d of ["slurmctld", "slurmd"]) {
      const r = spawnSync(`/usr/sbin/${d}`, ["-f", env.SLURM_CONF], { encoding: "utf8", env });
      assert.equal(r.status, 0, `${d}: ${r.stderr}`);
    }
    let idle = false;
    for (let i = 0; i < 300 && !idle; ++i) {
      idle = /idle/.test(spawnSync("sinfo", ["-h", "-o", "%t"], { encoding: "utf8", env }).stdout);
      if (!idle) await sleep(100);
    }
    assert.ok(idle, `the node did not come up: ${fs.readFileSync(path.join(dir, "log", "slurmctld.log"), "utf8").slice(-2000)}`);
    process.stderr.write(`slurm: one node up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const out = path.join(dir, "out");
    const t1 = Date.now();
    const sub = spawnSync("bash", [script, "3", out, ...analyze], { encoding: "utf8", env });
    assert.equal(sub.status, 0, sub.stderr);
    const array = /array (\d+)/.exec(sub.stdout)![1], merge = /merge (\d+)/.exec(sub.stdout)![1];
    jobs.push(array, merge);
    let state: string | null = null;
    for (let i = 0; i < 1500; ++i) {
      state = jobState(env, merge);
      if (state && !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].includes(state)) break;
      await sleep(200);
    }
    const logs = () => fs.readdirSync(out).filter((f) => f.endsWith(".log")).map((f) => `${f}: ${fs.readFileSync(path.join(out, f), "utf8").slice(-400)}`).join("\n");
    assert.equal(state, "COMPLETED", `merge job ${merge}: ${state}\n${logs()}`);
    process.stderr.write(`slurm: 3-task array and merge done in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
    assert.deepEqual(fs.readdirSync(out).filter((f) => f.endsWith(".jsonl")).sort(), ["shard-0.jsonl", "shard-1.jsonl", "shard-2.jsonl"]);
    const single = path.join(dir, "single.json");
    const r = spawnSync(process.execPath, [path.join(root, "bin", "artefacts.js"), "analyze", ...analyze, "--out", single], { encoding: "utf8", env });
    assert.equal(r.status, 0, r.stderr);
    const bare = (f: string) => JSON.stringify({ ...JSON.parse(fs.readFileSync(f, "utf8")), provenance: null });
    assert.equal(bare(path.join(out, "results.json")), bare(single));
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8")).provenance.shards.length, 3);
  } finally {
    if (jobs.length) spawnSync("scancel", jobs, { env });
    for (const f of ["slurmd.pid", "slurmctld.pid", "munge/munged.pid"]) {
      const pid = await stop(path.join(dir, f));
      if (pid) pids.push(pid);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(pids.length, 3, "slurmd, slurmctld and munged each left a pid file");
  assert.deepEqual(pids.filter(alive), [], "no daemon of the test is left running");
  assert.ok(!fs.existsSync(dir), `${dir} is removed`);
});
