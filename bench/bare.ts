/**
 * The bench's baseline (i): a bare onnxruntime session on the SAME graph bytes the encoder runs, fed
 * the SAME pre-tokenized, pre-padded batches, fetching every hidden_states.N output, with nothing
 * else (no tokenising, no batching, no checks). Bench code may import onnxruntime-node; src/ may not.
 */
import * as ort from "onnxruntime-node";
import { sessionOptions } from "../src/model/session.js";

/** One padded batch as the encoder ran it: row-major [batch x length] int64 ids and mask. */
export interface PaddedBatch {
  batch: number;
  length: number;
  ids: BigInt64Array;
  mask: BigInt64Array;
  /** Real tokens (sum of the mask). */
  tokens: number;
}

export class BareSession {
  private constructor(private readonly session: ort.InferenceSession, private readonly fetches: string[]) {}

  /** The session options of src/model/session.ts (intra-op threads, one inter-op thread, all optimisations, sleeping threads unless PA_ORT_SPIN=1). */
  static async open(bytes: Uint8Array, threads: number): Promise<BareSession> {
    const session = await ort.InferenceSession.create(bytes, sessionOptions(threads, "cpu"));
    return new BareSession(session, session.outputNames.filter((n) => /^hidden_states\.\d+$/.test(n)));
  }

  /** Runs every batch once; returns the real tokens processed. */
  async pass(batches: PaddedBatch[]): Promise<number> {
    let tokens = 0;
    for (const b of batches) {
      const dims = [b.batch, b.length];
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor("int64", b.ids, dims),
        attention_mask: new ort.Tensor("int64", b.mask, dims),
      };
      if (this.session.inputNames.includes("token_type_ids")) feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(b.ids.length), dims);
      const out = await this.session.run(feeds, this.fetches);
      if (Object.keys(out).length !== this.fetches.length) throw new Error(`bench: bare session returned ${Object.keys(out).length} outputs; expected ${this.fetches.length}`);
      tokens += b.tokens;
    }
    return tokens;
  }

  get outputs(): number {
    return this.fetches.length;
  }

  dispose(): Promise<void> {
    return this.session.release();
  }
}
