/**
 * A small, strict argument parser shared by every subcommand: `--name value`, `--name=value`,
 * boolean flags, repeated options and positionals. Unknown options are errors, never ignored.
 */
export interface OptionSpec {
  /** "string" takes a value; "boolean" is a flag; "list" takes a value and may repeat (also comma-separated). */
  type: "string" | "boolean" | "list";
  /** One line for --help. */
  help: string;
  default?: string | boolean;
}

export interface ParsedArgs {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>, command: string): ParsedArgs {
  const options: ParsedArgs["options"] = {};
  for (const [name, s] of Object.entries(spec)) {
    if (s.default !== undefined) options[name] = s.default;
    else if (s.type === "list") options[name] = undefined;
  }
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") { help = true; continue; }
    if (arg === "--") { positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith("--")) { positionals.push(arg); continue; }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) {
      throw new RangeError(`artefacts ${command}: unknown option --${name}; expected one of ${Object.keys(spec).map((k) => "--" + k).join(", ")} (see --help)`);
    }
    if (s.type === "boolean") {
      if (eq >= 0) throw new RangeError(`artefacts ${command}: --${name} is a flag and takes no value`);
      options[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new RangeError(`artefacts ${command}: --${name} needs a value`);
      value = argv[++i];
    }
    if (s.type === "list") {
      const prev = (options[name] as string[] | undefined) ?? [];
      options[name] = [...prev, ...value.split(",").filter((v) => v !== "")];
    } else options[name] = value;
  }
  return { options, positionals, help };
}

/** Renders --help text from the spec. */
export function formatHelp(usage: string, description: string, spec: Record<string, OptionSpec>): string {
  const lines = [`usage: ${usage}`, "", description, "", "options:"];
  for (const [name, s] of Object.entries(spec)) {
    const flag = s.type === "boolean" ? `--${name}` : `--${name} <value>`;
    const def = s.default !== undefined && s.default !== false ? ` (default: ${s.default})` : "";
    lines.push(`  ${flag.padEnd(26)} ${s.help}${def}`);
  }
  lines.push(`  ${"--help".padEnd(26)} show this help`);
  return lines.join("\n");
}

/** Parses an integer option within [min, max]; names the option in the error. */
export function intOption(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`invalid --${name}: ${JSON.stringify(value)}; expected an integer${min > -Infinity ? ` >= ${min}` : ""}${max < Infinity ? ` and <= ${max}` : ""}`);
  }
  return n;
}

/** Checks --device (cpu or cuda); the CUDA provider itself is checked when the encoder opens. */
export function deviceOption(value: unknown): "cpu" | "cuda" {
  if (value !== "cpu" && value !== "cuda") throw new RangeError(`invalid --device: ${JSON.stringify(value)}; expected cpu or cuda`);
  return value;
}

/**
 * Parses a subcommand's argv, answering `--help` and usage errors itself (help on stdout, exit 0;
 * the error on stderr, exit 2). Returns the parsed arguments, or the exit code when it already answered.
 */
export function parseCommand(argv: string[], spec: Record<string, OptionSpec>, command: string, usage: string, description: string): ParsedArgs | number {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, spec, command);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(formatHelp(usage, description, spec) + "\n");
    return 0;
  }
  return args;
}
