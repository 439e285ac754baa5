/**
 * Tokenises sentences with the checkpoint's own tokenizer (transformers.js AutoTokenizer, local files
 * only) and adds what the analyses need beyond ids: token strings, a special-token mask, the word each
 * token came from, and truncation to the model's maximum length.
 *
 * A "word" is a whitespace-delimited word of the ORIGINAL sentence (split on ASCII whitespace), so word
 * ids mean the same for WordPiece (where "##" pieces and punctuation splits stay inside their word) and
 * byte-level BPE (where a leading "Ġ" starts a word). They are found by tokenising word by word and
 * aligning the pieces with the whole-sentence tokenisation, which stays the reference.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkBoundedFile, MAX_BYTES, readBounded } from "./files.js";

/** One tokenised sentence; every array has one entry per token, specials included. */
export interface TokenizedSentence {
  ids: Int32Array;
  tokens: string[];
  /** 1 for the tokens the tokenizer adds ([CLS], [SEP], <s>, </s>) and other special tokens (not [UNK]). */
  special: Uint8Array;
  /** Index of the whitespace-delimited word of the sentence; -1 for special tokens. */
  wordIds: Int32Array;
  /** True when tokens were dropped to fit maxLength. */
  truncated: boolean;
}

export interface TokenizerOptions {
  /** Longest sequence the model accepts, specials included (from its position table); default: no limit. */
  maxLength?: number;
}

interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  get_vocab(): Map<string, number> | Record<string, number>;
  model_max_length: number;
  all_special_ids: number[];
  unk_token_id?: number;
  pad_token_id?: number;
  mask_token_id?: number | null;
}

/** Words the #pieces memo holds; past it (or past PIECE_LIMIT ids) it starts over: bounded whatever the corpus. */
const WORD_CACHE_LIMIT = 100_000;
const PIECE_LIMIT = 1 << 20;

/** The tokenizer of a local folder, with word ids and truncation (see the file comment). */
export class SentenceTokenizer {
  readonly #hf: HfTokenizer;
  readonly #idToToken: string[];
  readonly #prefix: number[];
  readonly #suffix: number[];
  readonly #specialIds: Set<number>;
  /**
   * The #pieces memo: word -> offset in #pieceIds of [piece count, ids...]. A number per word rather
   * than an array: it holds up to WORD_CACHE_LIMIT words (the corpus's vocabulary) for the whole run.
   */
  readonly #wordCache = new Map<string, number>();
  #pieceIds = new Int32Array(1 << 12);
  #pieceEnd = 0;
  readonly #whitespaceTokens: Set<string>;

  private constructor(
    readonly dir: string,
    hf: HfTokenizer,
    /** Longest sequence, specials included: min(model limit, tokenizer model_max_length). */
    readonly maxLength: number,
    /** True for byte-level BPE (RoBERTa, GPT-2 style) tokenizers. */
    readonly byteLevel: boolean,
    readonly padId: number,
  ) {
    this.#hf = hf;
    const vocab = hf.get_vocab();
    this.#idToToken = [];
    for (const [token, id] of vocab instanceof Map ? vocab : Object.entries(vocab)) this.#idToToken[id] = token;
    this.#specialIds = new Set(hf.all_special_ids.filter((id) => id !== hf.unk_token_id));
    // the post-processor's template for one sentence: encode a probe with and without specials
    const bare = hf.encode("a", { add_special_tokens: false });
    const full = hf.encode("a", { add_special_tokens: true });
    const at = full.findIndex((_, i) => bare.every((id, k) => full[i + k] === id));
    this.#prefix = full.slice(0, at);
    this.#suffix = full.slice(at + bare.length);
    this.#whitespaceTokens = new Set([" ", "\t", "\n", "\r", "\v", "\f"].map((c) => byteLevelChar(c.charCodeAt(0))));
  }

  /**
   * Loads dir/tokenizer.json and dir/tokenizer_config.json with transformers.js, never from the network.
   * maxLength is capped by the tokenizer's model_max_length when that is set.
   */
  static async load(dir: string, { maxLength = Infinity }: TokenizerOptions = {}): Promise<SentenceTokenizer> {
    const abs = path.resolve(dir);
    const missing = ["tokenizer.json", "tokenizer_config.json"].filter((f) => !fs.existsSync(path.join(abs, f)));
    if (missing.length) {
      throw new Error(`${abs}: ${missing.join(" and ")} missing; supply the model's fast-tokenizer files (save them with \`tokenizer.save_pretrained(DIR)\` in Python, or use \`artefacts export\`)`);
    }
    // bounded before transformers.js reads them: a file linked to /dev/zero or grown huge is refused at once
    const fix = "use the tokenizer files saved with the model";
    for (const [f, cap] of [["tokenizer.json", MAX_BYTES.tokenizer], ["tokenizer_config.json", MAX_BYTES.config], ["special_tokens_map.json", MAX_BYTES.config],
      ["vocab.txt", MAX_BYTES.tokenizer], ["vocab.json", MAX_BYTES.tokenizer], ["merges.txt", MAX_BYTES.tokenizer]] as const) {
      if (fs.existsSync(path.join(abs, f))) checkBoundedFile(path.join(abs, f), cap, fix);
    }
    const text = readBounded(path.join(abs, "tokenizer.json"), MAX_BYTES.tokenizer, fix).toString("utf8");
    const hf = await loadHf(abs);
    let tokenizerJson: { pre_tokenizer?: unknown; decoder?: unknown };
    try {
      tokenizerJson = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path.join(abs, "tokenizer.json")}: not valid JSON (${(err as Error).message}); re-download or re-save the tokenizer`, { cause: err });
    }
    const byteLevel = JSON.stringify(tokenizerJson.pre_tokenizer ?? null).includes('"ByteLevel"');
    const tokLimit = Number.isFinite(hf.model_max_length) && hf.model_max_length > 0 && hf.model_max_length < 1e9 ? hf.model_max_length : Infinity;
    const limit = Math.min(maxLength, tokLimit);
    if (!(limit >= 3)) throw new RangeError(`${abs}: maximum length ${limit} leaves no room for a token between the special tokens; check max_position_embeddings and model_max_length`);
    return new SentenceTokenizer(abs, hf, limit, byteLevel, hf.pad_token_id ?? 0);
  }

  /** Distinct vocabulary entries (added tokens included). */
  get vocabSize(): number {
    let n = 0;
    for (const t of this.#idToToken) if (t !== undefined) ++n;
    return n;
  }

  /** The largest id the tokenizer can produce (vocabulary, special and template ids), with its token. */
  get largestId(): { id: number; token: string } {
    const id = Math.max(this.#idToToken.length - 1, ...this.#specialIds, ...this.#prefix, ...this.#suffix);
    return { id, token: this.token(id) };
  }

  /** The mask token's id ([MASK], <mask>), or null when the tokenizer has none. */
  get maskId(): number | null {
    const id = this.#hf.mask_token_id;
    return typeof id === "number" && id >= 0 ? id : null;
  }

  /** Ids of the special tokens ([UNK] excluded). */
  get specialIds(): number[] {
    return [...this.#specialIds].sort((a, b) => a - b);
  }

  /** The token string of an id. */
  token(id: number): string {
    return this.#idToToken[id] ?? `<id ${id}>`;
  }

  /** Tokenises one sentence, specials added, truncated to maxLength (keeping the closing specials). */
  tokenize(sentence: string): TokenizedSentence {
    const content = this.#hf.encode(sentence, { add_special_tokens: false });
    const words = this.#wordIdsOf(sentence, content);
    const room = this.maxLength - this.#prefix.length - this.#suffix.length;
    const truncated = content.length > room;
    const kept = truncated ? content.slice(0, room) : content;
    const n = this.#prefix.length + kept.length + this.#suffix.length;
    const ids = new Int32Array(n);
    ids.set(this.#prefix, 0);
    ids.set(kept, this.#prefix.length);
    ids.set(this.#suffix, this.#prefix.length + kept.length);
    const special = new Uint8Array(n);
    const wordIds = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; ++i) {
      const inContent = i >= this.#prefix.length && i < this.#prefix.length + kept.length;
      special[i] = !inContent || this.#specialIds.has(ids[i]) ? 1 : 0;
      if (!special[i]) wordIds[i] = words[i - this.#prefix.length];
    }
    return { ids, tokens: Array.from(ids, (id) => this.token(id)), special, wordIds, truncated };
  }

  /** Word index of each content token (see the file comment); throws when the pieces cannot be aligned. */
  #wordIdsOf(sentence: string, content: number[]): Int32Array {
    const out = new Int32Array(content.length);
    const words: string[] = [];
    const spaced: boolean[] = [];
    for (const m of sentence.matchAll(/[^ \t\n\r\v\f]+/g)) {
      words.push(m[0]);
      // byte-level BPE glues a single preceding space (not a tab or newline) to the word: "Ġword"
      spaced.push(m.index! > 0 && sentence[m.index! - 1] === " ");
    }
    let j = 0;
    const fail = (why: string): never => {
      throw new Error(`tokenizer ${this.dir}: cannot map the tokens of ${JSON.stringify(sentence.length > 80 ? sentence.slice(0, 77) + "..." : sentence)} to its words (${why}); report this sentence with the model id`);
    };
    for (let w = 0; w < words.length; ++w) {
      const at = this.#pieces(this.byteLevel && spaced[w] ? " " + words[w] : words[w]);
      const pool = this.#pieceIds, n = pool[at];
      for (;;) {
        if (startsWith(content, j, pool, at + 1, n)) break;
        // byte-level BPE gives extra spaces their own token ("Ġ"): it belongs to the word it precedes
        if (j < content.length && this.#isWhitespace(content[j])) { out[j++] = w; continue; }
        fail(`word ${w} ${JSON.stringify(words[w])} at token ${j}`);
      }
      out.fill(w, j, j + n);
      j += n;
    }
    for (; j < content.length; ++j) {
      if (!this.#isWhitespace(content[j]) || words.length === 0) fail(`token ${j} ${JSON.stringify(this.token(content[j]))} after the last word`);
      out[j] = words.length - 1;
    }
    return out;
  }

  /** The word's pieces (tokenised alone), memoised: their offset `at` in #pieceIds, which holds the count at `at` and the ids after it. */
  #pieces(text: string): number {
    const known = this.#wordCache.get(text);
    if (known !== undefined) return known;
    const ids = this.#hf.encode(text, { add_special_tokens: false });
    if (this.#wordCache.size >= WORD_CACHE_LIMIT || this.#pieceEnd + 1 + ids.length > PIECE_LIMIT) {
      this.#wordCache.clear();
      this.#pieceEnd = 0;
    }
    const at = this.#pieceEnd, end = at + 1 + ids.length;
    if (end > this.#pieceIds.length) {
      const grown = new Int32Array(Math.max(end, 2 * this.#pieceIds.length));
      grown.set(this.#pieceIds.subarray(0, at));
      this.#pieceIds = grown;
    }
    this.#pieceIds[at] = ids.length;
    this.#pieceIds.set(ids, at + 1);
    this.#pieceEnd = end;
    this.#wordCache.set(text, at);
    return at;
  }

  #isWhitespace(id: number): boolean {
    if (!this.byteLevel) return false;
    const t = this.token(id);
    for (const c of t) if (!this.#whitespaceTokens.has(c)) return false;
    return t.length > 0;
  }
}

/** The character GPT-2's byte-level alphabet uses for byte b (printable bytes stand for themselves). */
function byteLevelChar(b: number): string {
  const printable = (x: number) => (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255);
  if (printable(b)) return String.fromCharCode(b);
  let extra = 0;
  for (let x = 0; x < b; ++x) if (!printable(x)) ++extra;
  return String.fromCharCode(256 + extra);
}

/** The part of transformers.js this file uses (its types are ESM-only, this package is CommonJS). */
interface TransformersModule {
  AutoTokenizer: { from_pretrained(dir: string, options?: Record<string, unknown>): Promise<unknown> };
  env: { allowRemoteModels: boolean; allowLocalModels: boolean };
}
let transformers: TransformersModule | undefined;

/** Loads a tokenizer from an absolute folder path with remote loading switched off. */
async function loadHf(dir: string): Promise<HfTokenizer> {
  transformers ??= require("@huggingface/transformers") as TransformersModule;
  const { AutoTokenizer, env } = transformers;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  try {
    return (await AutoTokenizer.from_pretrained(dir, { local_files_only: true })) as unknown as HfTokenizer;
  } catch (err) {
    throw new Error(`${dir}: transformers.js cannot load the tokenizer (${(err as Error).message.split("\n")[0]}); check tokenizer.json and tokenizer_config.json`, { cause: err });
  }
}

/** Whether content[j, j + n) equals pool[from, from + n) (false where content ends first). */
function startsWith(content: readonly number[], j: number, pool: Int32Array, from: number, n: number): boolean {
  if (j + n > content.length) return false;
  for (let k = 0; k < n; ++k) if (content[j + k] !== pool[from + k]) return false;
  return true;
}
