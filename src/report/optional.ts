/**
 * The packages only the notebook runner needs (zeromq for the Jupyter sockets, tslab for the
 * kernel), loaded on first use. They are optionalDependencies: npm installs them, but where they fail
 * to install (a platform without zeromq's prebuilt binary and no compiler) the install still succeeds
 * and the API and CLI work; only `artefacts report`, `Kernel.start` and `executeNotebook` then fail,
 * with the message below naming what to install.
 * `import * as pa from "positional-artefacts"` loads neither.
 */

/** The error thrown when an optional package is missing; `packageName` names it. */
export class MissingOptionalError extends Error {
  constructor(readonly packageName: string, readonly purpose: string, options?: { cause?: unknown }) {
    super(
      `${packageName} is not installed; ${purpose} needs it. Install it with \`npm install ${packageName}\` ` +
      `in your project (positional-artefacts lists it as an optional dependency, which npm leaves out where it fails to install)`,
      options,
    );
    this.name = "MissingOptionalError";
  }
}

/** Whether `err` is Node's "module not found" for `name` itself (not for something `name` requires). */
function isMissing(err: unknown, name: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === "MODULE_NOT_FOUND" && new RegExp(`Cannot find module '${name.replace(/[/\\^$*+?.()|[\]{}]/g, "\\$&")}(/package\\.json)?'`).test(e.message ?? "");
}

/**
 * Loads an optional package with `load` (a `require` call written at the call site, so bundlers
 * and the compiler see it); a missing package becomes a MissingOptionalError naming it.
 * Exported for the tests, which pass a name that is not installed.
 */
export function loadOptional<T>(name: string, purpose: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (isMissing(err, name)) throw new MissingOptionalError(name, purpose, { cause: err });
    throw err;
  }
}

/** What the notebook runner says it is doing when a package is missing. */
export const NOTEBOOK_PURPOSE = "running notebooks (artefacts report, Kernel, executeNotebook)";

/** The path of the installed tslab's package.json (the default kernel), resolved on first use. */
export function resolveTslab(): string {
  return loadOptional("tslab", `${NOTEBOOK_PURPOSE} with the default tslab kernel`, () => require.resolve("tslab/package.json"));
}
