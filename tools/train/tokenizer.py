#!/usr/bin/env python3
"""Train the WordPiece vocabulary (lower-cased, BERT-uncased style) on <workdir>/train.txt and write
standard Hugging Face BERT tokenizer files into <workdir>/tokenizer/ (tokenizer.json, vocab.txt,
tokenizer_config.json, special_tokens_map.json). Deterministic for a fixed input and tokenizers version."""
import argparse, json, os
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, decoders, trainers

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(__file__), ".cache"))
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--max-length", type=int, default=64)
    a = ap.parse_args()
    out = os.path.join(a.workdir, "tokenizer")
    os.makedirs(out, exist_ok=True)
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    tr = trainers.WordPieceTrainer(vocab_size=a.vocab_size, min_frequency=2, special_tokens=SPECIAL,
                                   continuing_subword_prefix="##", show_progress=False)
    tok.train([os.path.join(a.workdir, "train.txt")], tr)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.save(os.path.join(out, "tokenizer.json"))
    vocab = tok.get_vocab()
    inv = sorted(vocab.items(), key=lambda kv: kv[1])
    assert [i for _, i in inv] == list(range(len(inv)))
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        for t, _ in inv:
            f.write(t + "\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": a.max_length,
                   "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]", "tokenize_chinese_chars": True, "strip_accents": None,
                   "clean_up_tokenization_spaces": True}, f, indent=1)
    with open(os.path.join(out, "special_tokens_map.json"), "w") as f:
        json.dump({"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]"}, f, indent=1)
    print("vocab", tok.get_vocab_size(), tok.encode("Call me Ishmael. The jury said.").tokens)


if __name__ == "__main__":
    main()
