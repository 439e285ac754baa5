/**
 * A real one-node Slurm cluster for tests (../shared/slurm-one-node.md): Debian's slurmctld and slurmd
 * with munge, configured under a temporary folder, started as root, stopped by the PIDs in their pid
 * files. Nothing is mocked: sbatch, job arrays and dependencies run as on a cluster.
 *
 * `startSlurm()` installs the Debian packages when they are missing (root only), and returns either a
 * running cluster or the reason it cannot run here, which the caller prints when it skips.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface SlurmCluster {
  /** The slurm.conf to pass as SLURM_CONF to sbatch, squeue, sacct. */
  conf: string;
  /** The temporary folder holding config, state, spool, logs and pid files. */
  dir: string;
  /** Environment for client commands (SLURM_CONF set). */
  env: NodeJS.ProcessEnv;
  /** Stops slurmd, slurmctld and the munged we started, then removes the folder. */
  stop(): void;
}

const PACKAGES = ["slurmd", "slurmctld", "slurm-client", "munge"];
const BINARIES = ["/usr/sbin/slurmd", "/usr/sbin/slurmctld", "/usr/bin/sbatch", "/usr/sbin/munged"];

function have(): boolean {
  return BINARIES.every((b) => fs.existsSync(b));
}

function install(): string | null {
  if (process.getuid?.() !== 0) return `Slurm is not installed and the tests do not run as root (need ${PACKAGES.join(", ")})`;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-q"], { env, encoding: "utf8", timeout: 300_000 });
  if (update.status !== 0) return `apt-get update failed (${(update.stderr || "").trim().split("\n").pop()})`;
  const inst = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...PACKAGES], { env, encoding: "utf8", timeout: 600_000 });
  if (inst.status !== 0) return `apt-get install ${PACKAGES.join(" ")} failed (${(inst.stderr || "").trim().split("\n").pop()})`;
  return have() ? null : "apt-get reported success but the Slurm binaries are still missing";
}

function mungeWorks(): boolean {
  const r = spawnSync("sh", ["-c", "munge -n | unmunge"], { encoding: "utf8", timeout: 10_000 });
  return r.status === 0;
}

/** Starts munged unless one answers already; returns its pid file when we started it. */
function startMunge(): { pidFile: string | null } | string {
  if (mungeWorks()) return { pidFile: null };
  if (!fs.existsSync("/etc/munge/munge.key")) return "munge has no key at /etc/munge/munge.key (reinstall the munge package)";
  fs.mkdirSync("/run/munge", { recursive: true });
  execFileSync("chown", ["munge:munge", "/run/munge"]);
  const r = spawnSync("su", ["-s", "/bin/sh", "munge", "-c", "/usr/sbin/munged"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) return `munged did not start: ${(r.stderr || "").trim()}`;
  for (let i = 0; i < 50 && !mungeWorks(); ++i) sleep(100);
  if (!mungeWorks()) return "munged started but `munge -n | unmunge` fails";
  return { pidFile: "/run/munge/munged.pid" };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function killFromPidFile(file: string | null): void {
  if (!file || !fs.existsSync(file)) return;
  const pid = Number(fs.readFileSync(file, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try { process.kill(pid, "SIGTERM"); } catch { return; }
  for (let i = 0; i < 50; ++i) {
    try { process.kill(pid, 0); } catch { return; }
    sleep(100);
  }
  try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
}

function writeConfig(dir: string): string {
  const host = os.hostname().split(".")[0];
  const cpus = os.availableParallelism();
  const p = (name: string) => path.join(dir, name);
  for (const d of ["state", "spool"]) fs.mkdirSync(p(d), { recursive: true });
  const conf = [
    "ClusterName=pa-test",
    `SlurmctldHost=${host}`,
    "AuthType=auth/munge",
    "CredType=cred/munge",
    "SlurmUser=root",
    "SlurmdUser=root",
    `SlurmctldPort=${6817 + (process.pid % 500) * 2}`,
    `SlurmdPort=${6818 + (process.pid % 500) * 2}`,
    `StateSaveLocation=${p("state")}`,
    `SlurmdSpoolDir=${p("spool")}`,
    `SlurmctldPidFile=${p("slurmctld.pid")}`,
    `SlurmdPidFile=${p("slurmd.pid")}`,
    `SlurmctldLogFile=${p("slurmctld.log")}`,
    `SlurmdLogFile=${p("slurmd.log")}`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "ReturnToService=2",
    "MpiDefault=none",
    "SchedulerType=sched/backfill",
    `NodeName=${host} CPUs=${cpus} State=UNKNOWN`,
    "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    "",
  ].join("\n");
  const file = p("slurm.conf");
  fs.writeFileSync(file, conf);
  return file;
}

/** Starts a one-node cluster, or returns why it cannot run here. */
export function startSlurm(): SlurmCluster | { skip: string } {
  if (process.platform !== "linux") return { skip: "Slurm tests run on Linux only" };
  if (!have()) {
    const why = install();
    if (why) return { skip: why };
  }
  const munge = startMunge();
  if (typeof munge === "string") return { skip: munge };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-slurm-"));
  const conf = writeConfig(dir);
  const env = { ...process.env, SLURM_CONF: conf };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    killFromPidFile(path.join(dir, "slurmd.pid"));
    killFromPidFile(path.join(dir, "slurmctld.pid"));
    killFromPidFile(munge.pidFile);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync("/usr/sbin/slurmctld", ["-f", conf], { env, stdio: "pipe", timeout: 20_000 });
    execFileSync("/usr/sbin/slurmd", ["-f", conf], { env, stdio: "pipe", timeout: 20_000 });
    for (let i = 0; i < 100; ++i) {
      const r = spawnSync("sinfo", ["-h", "-o", "%t"], { env, encoding: "utf8", timeout: 10_000 });
      if (r.status === 0 && /idle|mix|alloc/.test(r.stdout)) return { conf, dir, env, stop };
      sleep(200);
    }
    const log = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n").slice(-3).join(" | ") : "(no log)");
    throw new Error(`the node did not become idle in 20 s; slurmctld: ${log("slurmctld.log")}; slurmd: ${log("slurmd.log")}`);
  } catch (err) {
    stop();
    throw err;
  }
}

/** Waits until no job of the user is queued or running; throws after `timeoutMs`. */
export function waitForJobs(cluster: SlurmCluster, jobIds: string[], timeoutMs = 300_000): void {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const r = spawnSync("squeue", ["-h", "-j", jobIds.join(","), "-o", "%i %t"], { env: cluster.env, encoding: "utf8", timeout: 10_000 });
    if (r.status === 0 && r.stdout.trim() === "") return;
    // squeue exits non-zero once every listed job has left the queue and been purged
    if (r.status !== 0 && /Invalid job id/i.test(r.stderr)) return;
    sleep(500);
  }
  throw new Error(`Slurm jobs ${jobIds.join(",")} still queued after ${timeoutMs / 1000} s`);
}
