/**
 * One process computes a cache entry while the others wait for it: notebooks run side by side
 * (generate.ts) and two of them may ask for the same model's pass at once. The lock is a file
 * created with O_EXCL holding the owner's pid; a lock whose owner has died is removed. Two waiters
 * removing one dead owner's lock at once can both go on and compute: then the same entry is
 * written twice (atomically, byte for byte the same), never a wrong or partial one.
 */
import * as fs from "node:fs";

export interface LockOptions {
  /** How often a waiter looks again, in ms (default 200). */
  pollMs?: number;
  /** Called once when the lock is held by another live process. */
  onWait?: (owner: number | null) => void;
}

/**
 * Runs `work` holding `lock`, unless `ready()` finds the result first (checked after taking the
 * lock, and after each wait while another process holds it). Resolves with that result.
 */
export async function withLock<T>(lock: string, ready: () => T | null, work: () => Promise<T>, { pollMs = 200, onWait }: LockOptions = {}): Promise<T> {
  let waited = false;
  for (;;) {
    if (tryLock(lock)) {
      try {
        return ready() ?? (await work());
      } finally {
        fs.rmSync(lock, { force: true });
      }
    }
    const owner = lockOwner(lock);
    if (owner === "dead") {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (!waited) onWait?.(owner);
    waited = true;
    await new Promise((r) => setTimeout(r, pollMs));
    const found = ready();
    if (found !== null) return found;
  }
}

/** Creates `lock` with this process' pid; false when it exists. */
export function tryLock(lock: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lock, "wx");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new Error(`${lock}: cannot create the lock file (${(e as Error).message}); check the cache folder (PA_RESULTS_DIR / PA_CACHE_DIR) or pass --no-cache`, { cause: e });
  }
  try {
    fs.writeSync(fd, String(process.pid));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * The pid holding `lock`, "dead" when that process is gone (or the file is empty and older than
 * 10 s: its owner died between creating and writing it), null when it cannot be told yet.
 */
export function lockOwner(lock: string): number | "dead" | null {
  let text: string, age: number;
  try {
    text = fs.readFileSync(lock, "utf8");
    age = Date.now() - fs.statSync(lock).mtimeMs;
  } catch {
    return null; // gone meanwhile: the next try takes it
  }
  const pid = Number(text);
  if (!/^\d+$/.test(text) || pid <= 0) return age > 10000 ? "dead" : null;
  return alive(pid) ? pid : "dead";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
