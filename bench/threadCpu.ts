/**
 * CPU seconds per thread of a Linux process, from /proc/PID/task/TID/stat (utime + stime, fields 14
 * and 15, in clock ticks of 1/100 s: Linux's USER_HZ). The paper mode's child samples its own threads
 * with it (peakAtExit.ts), so a run says where its CPU went: the calling thread (onnxruntime's share of
 * the encoder plus every analysis run there), onnxruntime's other intra-op threads, the side worker,
 * V8's helper threads. Elsewhere (no /proc) the map is empty.
 */
import * as fs from "node:fs";
import { round1 as r1 } from "./round.js";

/** This process' CPU seconds so far (user + system), every thread included. */
export function processCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Linux's USER_HZ, the unit of /proc's per-thread times (fixed at 100 on every mainstream architecture). */
const TICKS_PER_SECOND = 100;

/** CPU seconds so far of each live thread of `pid` (default: this process), by thread id. */
export function threadCpuSeconds(pid: number | "self" = "self"): Map<number, number> {
  const out = new Map<number, number>();
  const dir = `/proc/${pid}/task`;
  let tids: string[];
  try {
    tids = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = fs.readFileSync(`${dir}/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended between the listing and the read
    }
    // the name (field 2) is in parentheses and may hold spaces: fields 3.. follow the last ")"
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(Number(tid), (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND);
  }
  return out;
}

/** A process' CPU by thread: the calling (main) thread, the others by size, and what no sample saw. */
export interface ThreadCpu {
  total_s: number;
  calling_thread_s: number;
  /** Every other thread seen, largest first (seconds, 0.1 s steps). */
  other_threads_s: number[];
  /** total_s minus every thread seen: threads that ended between samples, and time since their last sample. */
  unseen_s: number;
}

/** Summarises the last sample of each thread against the process' total CPU seconds. */
export function summariseThreads(seen: ReadonlyMap<number, number>, callingThread: number, totalSeconds: number): ThreadCpu {
  const others = [...seen].filter(([tid]) => tid !== callingThread).map(([, s]) => s).sort((a, b) => b - a);
  const sum = [...seen.values()].reduce((a, b) => a + b, 0);
  return {
    total_s: r1(totalSeconds),
    calling_thread_s: r1(seen.get(callingThread) ?? 0),
    other_threads_s: others.filter((s) => s >= 0.05).map(r1),
    unseen_s: r1(Math.max(0, totalSeconds - sum)),
  };
}
