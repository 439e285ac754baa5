/**
 * Per-pair cosines, one per layer, raw and optionally clipped: the shared store of the WiC and STS
 * scorers. Every pair must give the same number of layers, and clipped cosines for all pairs or none.
 */
export class PairCosines {
  readonly raw: number[][] = [];
  readonly clipped: number[][] = [];
  #layers = -1;
  #hasClipped: boolean | null = null;

  /** Layers per pair (0 before the first pair). */
  get layers(): number {
    return Math.max(this.#layers, 0);
  }

  /** Whether the pairs carry clipped cosines (false before the first pair). */
  get hasClipped(): boolean {
    return this.#hasClipped === true;
  }

  push(raw: ArrayLike<number>, clipped: ArrayLike<number> | null): void {
    if (this.#layers < 0) this.#layers = raw.length;
    if (raw.length !== this.#layers || (clipped && clipped.length !== this.#layers)) {
      throw new RangeError(`invalid cosines: ${raw.length} layers, expected ${this.#layers} as in the first pair`);
    }
    if (this.#hasClipped === null) this.#hasClipped = clipped !== null;
    if (this.#hasClipped !== (clipped !== null)) throw new RangeError("invalid cosines: give clipped cosines for every pair or for none");
    this.raw.push(Array.from(raw));
    if (clipped) this.clipped.push(Array.from(clipped));
  }

  /** Pair i's clipped cosines, or null when the pairs carry none. */
  clippedAt(i: number): number[] | null {
    return this.#hasClipped ? this.clipped[i] : null;
  }
}
