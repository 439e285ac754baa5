/**
 * `--shard K/N` or `--shard auto` resolved to a shard index and count. auto reads a Slurm job array
 * (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT; SLURM_ARRAY_TASK_MIN and _STEP for arrays that do not
 * run 0, 1, 2, ...) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with the count from --shards N,
 * the Job's completions).
 */
import type { ShardSpec } from "../analysis/shard.js";

export function resolveShard(shard: string, shards: string | undefined, env: NodeJS.ProcessEnv = process.env): ShardSpec {
  const count = shards === undefined ? undefined : parseCount(shards, "--shards");
  if (shard !== "auto") {
    const m = /^(\d+)\/(\d+)$/.exec(shard.trim());
    if (!m) throw new RangeError(`invalid --shard: ${JSON.stringify(shard)}; expected K/N (0 <= K < N, e.g. 0/4) or auto`);
    const spec = { index: Number(m[1]), count: parseCount(m[2], "--shard N") };
    if (spec.index >= spec.count) throw new RangeError(`invalid --shard: ${JSON.stringify(shard)}; K counts from 0, so K must be below N (${spec.count})`);
    if (count !== undefined && count !== spec.count) throw new RangeError(`--shards ${count} contradicts --shard ${shard}; give one of them`);
    return spec;
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = envInt(env, "SLURM_ARRAY_TASK_ID"), min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : envInt(env, "SLURM_ARRAY_TASK_MIN");
    const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : envInt(env, "SLURM_ARRAY_TASK_STEP");
    if (env.SLURM_ARRAY_TASK_COUNT === undefined) throw new RangeError("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; run inside an sbatch --array job, or pass --shard K/N");
    const n = parseCount(env.SLURM_ARRAY_TASK_COUNT, "SLURM_ARRAY_TASK_COUNT");
    if (step < 1 || (id - min) % step !== 0 || id < min) throw new RangeError(`--shard auto: SLURM_ARRAY_TASK_ID ${id} is not in the array ${min}, ${min + step}, ...; submit a plain range, e.g. --array=0-${n - 1}`);
    const index = (id - min) / step;
    if (index >= n) throw new RangeError(`--shard auto: SLURM_ARRAY_TASK_ID ${id} gives shard ${index}, past SLURM_ARRAY_TASK_COUNT ${n}; submit a contiguous range, e.g. --array=0-${n - 1}`);
    if (count !== undefined && count !== n) throw new RangeError(`--shards ${count} contradicts SLURM_ARRAY_TASK_COUNT ${n}; leave --shards out under Slurm`);
    return { index, count: n };
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (count === undefined) throw new RangeError("--shard auto: JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) needs --shards N, the Job's completions");
    const index = envInt(env, "JOB_COMPLETION_INDEX");
    if (index >= count) throw new RangeError(`--shard auto: JOB_COMPLETION_INDEX ${index} is not below --shards ${count}; set --shards to the Job's completions`);
    return { index, count };
  }
  throw new RangeError("--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; pass --shard K/N");
}

function parseCount(v: string, name: string): number {
  const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`invalid ${name}: ${JSON.stringify(v)}; expected an integer >= 1`);
  return n;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number {
  const v = env[name]!;
  if (!/^\d+$/.test(v.trim())) throw new RangeError(`--shard auto: ${name}=${JSON.stringify(v)} is not a whole number`);
  return Number(v);
}
