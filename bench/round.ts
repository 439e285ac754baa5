/** Rounding for the bench's JSON lines: one decimal (tok/s, seconds, MiB, GFLOP/s) and three (ratios, seconds of short passes). */
export const round1 = (x: number): number => Math.round(x * 10) / 10;
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
