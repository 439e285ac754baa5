/**
 * Option checks: every public function validates its options with these, so a bad value is refused
 * with its name, the value and what is expected.
 */

/** Returns `value` if it is one of `allowed`; otherwise throws a RangeError listing the choices. */
export function keyword<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  throw new RangeError(`invalid ${name}: ${JSON.stringify(value)}; expected one of ${allowed.join(", ")}`);
}

/** Checks that `value` is an integer in [min, max]; returns it. */
export function integer(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = `${min > -Infinity ? ` >= ${min}` : ""}${min > -Infinity && max < Infinity ? " and" : ""}${max < Infinity ? ` <= ${max}` : ""}`;
    throw new RangeError(`invalid ${name}: ${JSON.stringify(value)}; expected an integer${range}`);
  }
  return value;
}

/** Checks that `value` is a finite number in [min, max]; returns it. */
export function number(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`invalid ${name}: ${JSON.stringify(value)}; expected a number in [${min}, ${max}]`);
  }
  return value;
}
