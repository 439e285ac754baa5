/**
 * Small tokenizers for SYNTHETIC checkpoints (synth.ts): a WordPiece vocabulary for bert/distilbert
 * and a byte-level BPE for roberta, written in the file layout that both transformers.js and the
 * Python `tokenizers`/`transformers` libraries load (tokenizer.json plus the slow-tokenizer files).
 * The vocabulary is a fixed list of common English words, so the same size always gives the same files.
 */

/** Common English words (lowercase), most frequent first; the vocabulary takes a prefix of this list. */
export const COMMON_WORDS: readonly string[] = (
  "the of and to a in is it you that he was for on are with as his they be at one have this from or had by " +
  "word but what some we can out other were all there when up use your how said an each she which do their " +
  "time if will way about many then them write would like so these her long make thing see him two has look " +
  "more day could go come did number sound no most people my over know water than call first who may down " +
  "side been now find any new work part take get place made live where after back little only round man year " +
  "came show every good me give our under name very through just form sentence great think say help low line " +
  "differ turn cause much mean before move right boy old too same tell does set three want air well also play " +
  "small end put home read hand port large spell add even land here must big high such follow act why ask men " +
  "change went light kind off need house picture try us again animal point mother world near build self earth " +
  "father head stand own page should country found answer school grow study still learn plant cover food sun " +
  "four between state keep eye never last let thought city tree cross farm hard start might story saw far sea " +
  "draw left late run while press close night real life few north open seem together next white children begin " +
  "got walk example ease paper group always music those both mark often letter until mile river car feet care " +
  "second book carry took science eat room friend began idea fish mountain stop once base hear horse cut sure " +
  "watch color face wood main enough plain girl usual young ready above ever red list though feel talk bird soon " +
  "body dog family direct pose leave song measure door product black short numeral class wind question happen " +
  "complete ship area half rock order fire south problem piece told knew pass since top whole king space heard " +
  "best hour better true during hundred five remember step early hold west ground interest reach fast verb sing " +
  "listen six table travel less morning ten simple several vowel toward war lay against pattern slow center love " +
  "person money serve appear road map rain rule govern pull cold notice voice unit power town fine certain fly " +
  "fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done beauty drive " +
  "stood contain front teach week final gave green oh quick develop ocean warm free minute strong special mind " +
  "behind clear tail produce fact street inch multiply nothing course stay wheel full force blue object decide " +
  "surface deep moon island foot system busy test record boat common gold possible plane stead dry wonder laugh " +
  "thousand ago ran check game shape equate hot miss brought heat snow tire bring yes distant fill east paint " +
  "language among"
).split(" ");

const PUNCTUATION = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"];
const DIGITS = [..."0123456789"];
const LETTERS = [..."abcdefghijklmnopqrstuvwxyz"];
const SUFFIXES = ["##s", "##es", "##ed", "##ing", "##ly", "##er", "##est", "##tion", "##ness", "##ment", "##able", "##ful", "##less"];

/** The five BERT special tokens, at ids 0..4. */
export const WORDPIECE_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

/** Fewest entries a WordPiece vocabulary can have (specials, punctuation, digits, letters and their ## forms, suffixes). */
export const WORDPIECE_MIN_VOCAB =
  WORDPIECE_SPECIALS.length + PUNCTUATION.length + 2 * DIGITS.length + 2 * LETTERS.length + SUFFIXES.length;

/**
 * WordPiece vocabulary of exactly `size` entries (index = id): specials, single characters, ## forms,
 * suffixes, then common words; when the words run out, `[unusedN]` entries (as in BERT's vocab.txt).
 * `size` undefined: every word and no unused entries.
 */
export function wordPieceVocab(size?: number): string[] {
  const base = [
    ...WORDPIECE_SPECIALS, ...PUNCTUATION, ...DIGITS, ...LETTERS,
    // "##s" is also a suffix, whose (later) id tokenizers have always used: this slot stays reserved so
    // that every id, and so every existing synthetic checkpoint, is unchanged, and no token is listed twice
    ...LETTERS.map((c) => (c === "s" ? "[reserved0]" : "##" + c)), ...DIGITS.map((c) => "##" + c), ...SUFFIXES,
  ];
  const seen = new Set(base);
  const words = COMMON_WORDS.filter((w) => !seen.has(w) && (seen.add(w), true));
  if (size === undefined) return [...base, ...words];
  if (!Number.isInteger(size) || size < base.length) {
    throw new RangeError(`invalid vocab: ${JSON.stringify(size)}; a synthetic WordPiece vocabulary needs at least ${base.length} entries`);
  }
  const vocab = [...base, ...words.slice(0, size - base.length)];
  for (let i = 0; vocab.length < size; ++i) vocab.push(`[unused${i}]`);
  return vocab;
}

/** The files of a WordPiece (BERT-style, uncased) tokenizer for `vocab`; `maxLength` = model_max_length. */
export function wordPieceFiles(vocab: string[], maxLength: number, tokenizerClass: "BertTokenizer" | "DistilBertTokenizer"): Record<string, string> {
  const id = (t: string) => vocab.indexOf(t);
  const added = WORDPIECE_SPECIALS.map((t) => ({
    id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [id("[CLS]")], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [id("[SEP]")], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
  const specialMap = { unk_token: "[UNK]", sep_token: "[SEP]", pad_token: "[PAD]", cls_token: "[CLS]", mask_token: "[MASK]" };
  const config = {
    tokenizer_class: tokenizerClass,
    do_lower_case: true,
    do_basic_tokenize: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
    model_max_length: maxLength,
    clean_up_tokenization_spaces: true,
    ...specialMap,
  };
  return {
    "tokenizer.json": json(tokenizer),
    "tokenizer_config.json": json(config),
    "special_tokens_map.json": json(specialMap),
    "vocab.txt": vocab.join("\n") + "\n",
  };
}

/** GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest to U+0100 onwards. */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array(256);
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  for (let b = 0; b < 256; ++b) table[b] = String.fromCharCode(printable(b) ? b : 256 + extra++);
  return table;
}

/** RoBERTa's special tokens: <s>=0 <pad>=1 </s>=2 <unk>=3; <mask> is the last id. */
export const BPE_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"] as const;

/** Fewest entries a byte-level BPE vocabulary can have: 4 specials, 256 bytes, <mask>. */
export const BPE_MIN_VOCAB = BPE_SPECIALS.length + 256 + 1;

/**
 * Byte-level BPE vocabulary and merges of exactly `size` entries: specials, the 256 byte symbols, then
 * merges that build "Ġword" and "word" left to right for the common words, then <mask> as the last id.
 * When the words run out before `size`, "madeupwordNNNN" entries fill the gap (as in roberta-base).
 * `size` undefined: every word's merges.
 */
export function bytePairVocab(size?: number): { vocab: string[]; merges: string[] } {
  if (size !== undefined && (!Number.isInteger(size) || size < BPE_MIN_VOCAB)) {
    throw new RangeError(`invalid vocab: ${JSON.stringify(size)}; a synthetic byte-level BPE vocabulary needs at least ${BPE_MIN_VOCAB} entries`);
  }
  const vocab: string[] = [...BPE_SPECIALS, ...bytesToUnicode()];
  const seen = new Set(vocab);
  const merges: string[] = [];
  const limit = (size ?? Infinity) - 1;
  outer: for (const word of COMMON_WORDS) {
    for (const form of ["Ġ" + word, word]) {
      let left = form[0];
      for (const c of form.slice(1)) {
        const merged = left + c;
        if (!seen.has(merged)) {
          if (vocab.length >= limit) break outer;
          seen.add(merged);
          vocab.push(merged);
          merges.push(`${left} ${c}`);
        }
        left = merged;
      }
    }
  }
  for (let i = 0; size !== undefined && vocab.length < limit; ++i) vocab.push(`madeupword${String(i).padStart(4, "0")}`);
  vocab.push("<mask>");
  return { vocab, merges };
}

/** The files of a RoBERTa-style byte-level BPE tokenizer; `maxLength` = model_max_length. */
export function bytePairFiles(vocab: string[], merges: string[], maxLength: number): Record<string, string> {
  const ids = Object.fromEntries(vocab.map((t, i) => [t, i]));
  const special = (content: string, lstrip = false) => ({
    id: ids[content], content, single_word: false, lstrip, rstrip: false, normalized: false, special: true,
  });
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special("<s>"), special("<pad>"), special("</s>"), special("<unk>"), special("<mask>", true)],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: "RobertaProcessing",
      sep: ["</s>", ids["</s>"]],
      cls: ["<s>", ids["<s>"]],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab: ids,
      merges,
    },
  };
  const specialMap = {
    bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", sep_token: "</s>", pad_token: "<pad>", cls_token: "<s>",
    mask_token: { content: "<mask>", single_word: false, lstrip: true, rstrip: false, normalized: false },
  };
  const config = {
    tokenizer_class: "RobertaTokenizer",
    add_prefix_space: false,
    errors: "replace",
    trim_offsets: true,
    model_max_length: maxLength,
    clean_up_tokenization_spaces: true,
    ...specialMap,
    mask_token: "<mask>",
  };
  return {
    "tokenizer.json": json(tokenizer),
    "tokenizer_config.json": json(config),
    "special_tokens_map.json": json(specialMap),
    "vocab.json": json(ids),
    "merges.txt": ["#version: 0.2", ...merges].join("\n") + "\n",
  };
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}
