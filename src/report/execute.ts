/**
 * Runs a notebook (nbformat 4) cell by cell in a fresh kernel whose working directory is the
 * notebook's folder, as Jupyter does, after injecting parameter overrides (the papermill
 * convention). Returns the executed notebook; a failing cell throws a NotebookError that names
 * the notebook, the cell and the kernel's error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Kernel, type Output } from "./kernel.js";

export interface Cell {
  cell_type: "markdown" | "code" | "raw";
  id?: string;
  source: string | string[];
  metadata: { tags?: string[]; [key: string]: unknown };
  outputs?: Output[];
  execution_count?: number | null;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string; language?: string; display_name?: string }; [key: string]: unknown };
  cells: Cell[];
}

export interface ExecuteOptions {
  /** Overrides for names the notebook's "parameters" cell declares, as JSON values (default none). */
  parameters?: Record<string, unknown>;
  /** The longest one cell may run, in ms, before the kernel is stopped (default 600000). */
  cellTimeoutMs?: number;
  /** The longest the kernel may take to start, in ms (default 60000). */
  startTimeoutMs?: number;
  /** The kernel command (default: the tslab kernel of this package). */
  kernelArgv?: string[];
  /** Called before each code cell runs with a one-line message. */
  onProgress?: (message: string) => void;
  /** How messages and errors name the notebook (default: `file` as given). */
  name?: string;
  /**
   * A kernel already starting in the notebook's folder, so a caller can start the next
   * notebook's kernel while this one runs (default: start one here). It is shut down at the end either way.
   */
  kernel?: Promise<Kernel>;
  /** Leave the kernel running at the end, for the next notebook (default false: it is shut down). */
  keepKernel?: boolean;
  /** Code run before the first cell, which must succeed and print nothing (schedule.ts' fresh-module prelude). */
  prelude?: string;
}

/** A cell failed (or timed out); `cell` is its 1-based position in the notebook file. */
export class NotebookError extends Error {
  constructor(readonly notebook: string, readonly cell: number, readonly ename: string, readonly evalue: string, options?: { cause?: unknown }) {
    super(`${notebook}: cell ${cell} failed: ${ename}: ${evalue}`, options);
    this.name = "NotebookError";
  }
}

/** A cell's source as one string. */
export function cellSource(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? "");
}

/** Reads and checks a notebook file: JSON, nbformat 4, a cells array. */
export function readNotebook(file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read the notebook (${(e as Error).message}); pass an .ipynb file in nbformat 4 JSON`, { cause: e });
  }
  if (nb?.nbformat !== 4) throw new Error(`${file}: nbformat ${JSON.stringify(nb?.nbformat)}; expected 4 (save the notebook with Jupyter 4+)`);
  if (!Array.isArray(nb.cells)) throw new Error(`${file}: cells is not an array; the notebook is malformed`);
  for (const [i, c] of nb.cells.entries()) {
    if (!["markdown", "code", "raw"].includes(c?.cell_type)) throw new Error(`${file}: cell ${i + 1} has cell_type ${JSON.stringify(c?.cell_type)}; expected markdown, code or raw`);
    c.metadata ??= {};
  }
  return nb;
}

/**
 * Names declared at the top level of a parameters cell: `let`/`var`/`const` NAME (also
 * `let a = 1, b = 2` is not parsed: declare one name per statement). Maps name -> keyword.
 */
export function declaredParameters(source: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of source.matchAll(/^\s*(let|var|const)\s+([A-Za-z_$][\w$]*)\s*[:=;]/gm)) names.set(m[2], m[1]);
  return names;
}

/**
 * Returns a copy of the notebook with a cell tagged "injected-parameters" right after the cell
 * tagged "parameters", assigning each override as a JSON literal. Throws, naming the notebook,
 * when an override names a parameter the cell does not declare (or declares with const).
 */
export function injectParameters(nb: Notebook, parameters: Record<string, unknown>, file: string): Notebook {
  const names = Object.keys(parameters).sort();
  if (names.length === 0) return nb;
  const at = nb.cells.findIndex((c) => c.cell_type === "code" && (c.metadata.tags ?? []).includes("parameters"));
  if (at < 0) throw new Error(`${file}: no code cell tagged "parameters", so ${names.join(", ")} cannot be set; tag the cell that declares them`);
  const declared = declaredParameters(cellSource(nb.cells[at]));
  for (const name of names) {
    const kind = declared.get(name);
    if (!kind) {
      throw new RangeError(`${file}: parameter ${JSON.stringify(name)} is not declared in the parameters cell (it declares ${[...declared.keys()].join(", ") || "nothing"}); declare it with let or drop the override`);
    }
    if (kind === "const") throw new RangeError(`${file}: parameter ${JSON.stringify(name)} is declared with const; declare it with let so it can be overridden`);
  }
  // A block, so tslab does not echo the last assignment's value as the cell's result.
  const source = ["{", ...names.map((n) => `  ${n} = ${JSON.stringify(parameters[n])};`), "}"].join("\n");
  const injected: Cell = { cell_type: "code", execution_count: null, metadata: { tags: ["injected-parameters"] }, outputs: [], source };
  return { ...nb, cells: [...nb.cells.slice(0, at + 1), injected, ...nb.cells.slice(at + 1)] };
}

/**
 * The error of a failed cell. Kernels that follow the protocol send ename/evalue; tslab only
 * prints the error to stderr, so its first "Name: message" line (or its TypeScript diagnostics) is used.
 */
export function cellError(outputs: readonly Output[], reply: { ename?: string; evalue?: string }): { ename: string; evalue: string } {
  if (reply.ename) return { ename: reply.ename, evalue: reply.evalue ?? "" };
  const stderr = outputs.filter((o) => o.output_type === "stream" && o.name === "stderr").map((o) => (o as { text: string }).text).join("");
  const lines = stderr.split("\n");
  // An Error's name ends in Error or Exception; any other "Name: message" counts only right above a stack trace.
  let head = lines.findIndex((l) => /^[A-Za-z_$][\w$]*(Error|Exception)(\s\[[^\]]*\])?: /.test(l));
  if (head < 0) head = lines.findIndex((l, i) => /^[A-Za-z_$][\w$]*: /.test(l) && /^\s+at /.test(lines[i + 1] ?? ""));
  if (head >= 0) {
    const [, ename, first] = /^([A-Za-z_$][\w$]*(?:\s\[[^\]]*\])?): (.*)$/.exec(lines[head])!;
    const more = [];
    for (let i = head + 1; i < lines.length && !/^\s+at /.test(lines[i]) && lines[i] !== ""; ++i) more.push(lines[i]);
    return { ename, evalue: [first, ...more].join("\n") };
  }
  const diagnostics = lines.filter((l) => /^\S*\s?\d+:\d+ - /.test(l));
  if (diagnostics.length) return { ename: "TypeScript", evalue: diagnostics.join("; ") };
  const last = lines.filter((l) => l.trim() !== "").pop();
  return { ename: "Error", evalue: last ?? "the kernel reported an error without a message" };
}

/** Executes the notebook in `file`; returns the executed notebook (outputs and execution counts filled). */
export async function executeNotebook(file: string, options: ExecuteOptions = {}): Promise<Notebook> {
  const { parameters = {}, cellTimeoutMs = 600000, startTimeoutMs = 60000, kernelArgv, onProgress, name = file } = options;
  let nb: Notebook;
  try {
    nb = injectParameters(readNotebook(file), parameters, name);
  } catch (e) {
    // The caller's kernel is ours to stop, even when the notebook never runs.
    await options.kernel?.then((k) => k.shutdown(), () => undefined);
    throw e;
  }
  // Positions in the file as the author sees it: the injected cell shares its parameters cell's number.
  const positions: number[] = [];
  for (let i = 0, n = 0; i < nb.cells.length; ++i) positions.push((nb.cells[i].metadata.tags ?? []).includes("injected-parameters") ? n : ++n);
  const code = nb.cells.map((c, i) => [c, i] as const).filter(([c]) => c.cell_type === "code" && cellSource(c).trim() !== "");
  const kernel = await (options.kernel ?? startKernelFor(file, { startTimeoutMs, kernelArgv }));
  const cells = nb.cells.map((c) => ({ ...c, ...(c.cell_type === "code" ? { outputs: [] as Output[], execution_count: null } : {}) }));
  let failed = false;
  try {
    if (options.prelude !== undefined) await runPrelude(kernel, options.prelude, name, cellTimeoutMs);
    // Counts as a fresh kernel gives them (1, 2, ...), also in a kernel that ran cells before.
    let base: number | null = null;
    const renumber = (n: number | null) => (n === null ? null : n - (base ??= n - 1));
    for (const [k, [cell, i]] of code.entries()) {
      onProgress?.(`${name}: cell ${positions[i]} (${k + 1}/${code.length} code cells)`);
      let r;
      try {
        r = await kernel.execute(cellSource(cell), { timeoutMs: cellTimeoutMs });
      } catch (e) {
        throw new NotebookError(name, positions[i], "KernelError", (e as Error).message, { cause: e });
      }
      const count = renumber(r.executionCount);
      cells[i].outputs = r.outputs.map((o) => (o.output_type === "execute_result" && o.execution_count !== null ? { ...o, execution_count: count } : o));
      cells[i].execution_count = count;
      if (r.status !== "ok") {
        const { ename, evalue } = cellError(r.outputs, r);
        throw new NotebookError(name, positions[i], ename, evalue);
      }
    }
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    // a kernel whose notebook failed is never handed on
    if (!options.keepKernel || failed) await kernel.shutdown();
  }
  return { ...nb, cells };
}

/** Runs `code` before a notebook; anything it prints or any failure is an error naming the notebook. */
async function runPrelude(kernel: Kernel, code: string, name: string, timeoutMs: number): Promise<void> {
  const r = await kernel.execute(code, { timeoutMs }).catch((e: Error) => { throw new NotebookError(name, 0, "KernelError", `before the first cell: ${e.message}`, { cause: e }); });
  if (r.status !== "ok" || r.outputs.length) {
    const { ename, evalue } = r.status !== "ok" ? cellError(r.outputs, r) : { ename: "KernelError", evalue: `the prelude printed ${JSON.stringify(r.outputs).slice(0, 300)}` };
    throw new NotebookError(name, 0, ename, `before the first cell: ${evalue}`);
  }
}

/** Starts a kernel in the notebook's folder, where Jupyter starts it. */
export function startKernelFor(file: string, { startTimeoutMs = 60000, kernelArgv, env }: { startTimeoutMs?: number; kernelArgv?: string[]; env?: Record<string, string> } = {}): Promise<Kernel> {
  return Kernel.start({ cwd: path.dirname(path.resolve(file)), startTimeoutMs, ...(kernelArgv ? { argv: kernelArgv } : {}), ...(env ? { env } : {}) });
}
