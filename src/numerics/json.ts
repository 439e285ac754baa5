/** Numbers for JSON results: rounded to 6 significant decimals, so results are compact and byte-stable. */

/** Rounds a float to 6 significant decimals for JSON; keeps results compact and byte-stable. */
export function round6(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(7)) : x;
}

/** Maps a typed array to plain rounded numbers for JSON. */
export function toJsonArray(a: ArrayLike<number>, round = true): number[] {
  return Array.from(a, (x) => (round ? round6(x) : x));
}
