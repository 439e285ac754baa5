#!/usr/bin/env python3
"""SYNTHETIC checkpoints per encoder family + their transformers 5 hidden states (test/fixtures/families/).

For every family the toolkit supports (BERT, RoBERTa, XLM-RoBERTa, CamemBERT, DistilBERT, ELECTRA, ALBERT, MPNet,
DeBERTa-v2/v3, ModernBERT) this builds a small model with transformers' OWN classes, sets EVERY parameter
to seeded random values (LayerNorm gains away from 1, non-zero biases, random relative tables), saves it
with `save_pretrained` (safetensors, float32, the exact tensor names transformers writes), writes a small
tokenizer of the family's kind with the family's own tokenizer class, reloads the folder with
`AutoModel.from_pretrained(..., attn_implementation="eager")` and `AutoTokenizer`, and records
hidden_states[0..L] and last_hidden_state of one padded batch (format: test/fixtures/families/README.md).
The weights are random: the outputs are exact ground truth for the TypeScript family modules, nothing else.

  PY=$(tools/reference/setup-venv.sh | tail -1)
  $PY tools/reference/make_family_fixtures.py                      # every fixture
  $PY tools/reference/make_family_fixtures.py --only mpnet,modernbert
"""
import argparse
import hashlib
import inspect
import json
import os
import platform
import shutil
import sys
import tempfile

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import safetensors
import tokenizers
import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from torch import nn
from transformers import AutoModel, AutoTokenizer

from refio import sha256_file, to_json

OUT = "test/fixtures/families"

# ---------------------------------------------------------------------------------------------- inputs
# A short sentence; punctuation, rare words and non-ASCII letters; the EMPTY sentence; a long sentence
# (well over 130 tokens in every fixture: past MPNet's farthest bucket at distance 128, DeBERTa's
# max_relative_positions, and many times ModernBERT's local window of 8).
LONG = (
    "Long ago, when the river ran high and the wind came from the north, the people of the old town near "
    "the sea would build a great fire on the hill, and every man, woman and child would come to hear the "
    "stories that the oldest among them could still tell: of the first year, when the land was new and the "
    "animal and the plant lived together; of the king who found gold under the mountain; of the girl who "
    "could sing to the birds; of the boy who went to the far island and never came back. Then the fire "
    "would burn down, the stars would come out over the water, and each family would walk home in the dark, "
    "carrying a small light and thinking of the story they liked best, until the morning sun rose again "
    "above the green field and the white ship sailed from the port."
)
SENTENCES = [
    "Hello world.",
    "The naïve palaeontologist's thesis, surprisingly, wasn't unfalsifiable!",
    "",
    LONG,
]

WORDS = (
    "the of and to a in is it you that he was for on are with as his they be at one have this from or had by "
    "word but what some we can out other were all there when up use your how said an each she which do their "
    "time if will way about many then them write would like so these her long make thing see him two has look "
    "more day could go come did number sound no most people my over know water than call first who may down "
    "side been now find any new work part take get place made live where after back little only round man year "
    "came show every good me give our under name very through just form sentence great think say help low line "
    "hello world thesis language model models position positional masked through propagate artefacts"
).split()
# Every word of the long sentence is in each vocabulary (so it stays near 200 tokens); the rare words of
# the second sentence are not, so they split into pieces (or become unknown).
WORDS += [w for w in "".join(c.lower() if c.isalpha() else " " for c in LONG).split() if w not in WORDS]

SPECIAL_SETS = {
    "bert": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    "mpnet": ["<s>", "<pad>", "</s>", "[UNK]", "<mask>"],
    "roberta": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    "albert": ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"],
    "deberta": ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"],
    "modernbert": ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"],
}


def corpus():
    """BPE training text: the word list and the long sentence; not the second sentence, whose rare words
    must split into several pieces."""
    return [" ".join(WORDS), " ".join(w.capitalize() for w in WORDS), SENTENCES[0], LONG]


# ------------------------------------------------------------------------------------------ tokenizers
def wordpiece_vocab(specials):
    punct = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    letters = list("abcdefghijklmnopqrstuvwxyz")
    digits = list("0123456789")
    pieces = specials + punct + digits + letters + ["##" + c for c in letters + digits]
    pieces += ["##s", "##ed", "##ing", "##ly", "##er", "##ist", "##ical"]
    pieces += WORDS
    return {p: i for i, p in enumerate(dict.fromkeys(pieces))}  # first occurrence wins, ids contiguous


def unigram_vocab(specials):
    """SentencePiece-style (piece, log-prob) list: specials, then word pieces "▁word", single characters."""
    out = [(s, 0.0) for s in specials]
    seen = set(specials)

    def add(p, score):
        if p not in seen:
            seen.add(p)
            out.append((p, score))

    add("▁", -2.0)
    for r, w in enumerate(dict.fromkeys(WORDS)):
        add("▁" + w, -3.0 - 0.01 * r)
    for r, suf in enumerate(["s", "ed", "ing", "ly", "er", "ist", "ical", "'s", "n't"]):
        add(suf, -6.0 - 0.01 * r)
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~":
        add(c, -8.0)
        add("▁" + c, -8.5)
    return out


def bpe_vocab_merges(specials, vocab_size=1000):
    """Byte-level BPE trained (deterministically) on the fixed corpus."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus(), trainer)
    data = json.loads(tok.to_str())
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in data["model"]["merges"]]
    return data["model"]["vocab"], merges


def make_tokenizer(kind):
    T = transformers
    if kind in ("bert", "distilbert", "electra"):
        cls = {"bert": T.BertTokenizer, "distilbert": T.DistilBertTokenizer, "electra": T.ElectraTokenizer}[kind]
        return cls(vocab=wordpiece_vocab(SPECIAL_SETS["bert"]), do_lower_case=True)
    if kind == "mpnet":
        return T.MPNetTokenizer(vocab=wordpiece_vocab(SPECIAL_SETS["mpnet"]), do_lower_case=True)
    if kind == "roberta":
        vocab, merges = bpe_vocab_merges(SPECIAL_SETS["roberta"])
        return T.RobertaTokenizer(vocab=vocab, merges=merges)
    if kind == "xlm-roberta":
        return T.XLMRobertaTokenizer(vocab=unigram_vocab(SPECIAL_SETS["roberta"][:4]) + [("<mask>", 0.0)])
    if kind == "camembert":
        return T.CamembertTokenizer(vocab=unigram_vocab(SPECIAL_SETS["roberta"][:4]) + [("<mask>", 0.0)])
    if kind == "albert":
        return T.AlbertTokenizer(vocab=unigram_vocab(SPECIAL_SETS["albert"]))
    if kind == "deberta-v2":
        return T.DebertaV2Tokenizer(vocab=unigram_vocab(SPECIAL_SETS["deberta"]), unk_id=3)
    if kind == "modernbert":
        sp = SPECIAL_SETS["modernbert"]
        vocab, merges = bpe_vocab_merges(sp)
        tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:0 [SEP]:0",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
        return T.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]",
                                         sep_token="[SEP]", pad_token="[PAD]", mask_token="[MASK]",
                                         model_input_names=["input_ids", "attention_mask"])
    raise ValueError(kind)


# -------------------------------------------------------------------------------------------- families
COMMON = dict(hidden_size=32, num_attention_heads=4, intermediate_size=64, num_hidden_layers=2,
              max_position_embeddings=256, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)

FIXTURES = {
    "bert": dict(tok="bert", cfg="BertConfig", seed=101, features=["absolute positions", "post-LN", "gelu (exact)"],
                 config=dict(COMMON, hidden_act="gelu", type_vocab_size=2, layer_norm_eps=1e-12)),
    "roberta": dict(tok="roberta", cfg="RobertaConfig", seed=102,
                    features=["absolute positions offset by padding_idx+1", "post-LN", "gelu_new (tanh)", "byte-level BPE"],
                    config=dict(COMMON, hidden_act="gelu_new", type_vocab_size=1, layer_norm_eps=1e-5,
                                max_position_embeddings=258, pad_token_id=1, bos_token_id=0, eos_token_id=2)),
    "xlm-roberta": dict(tok="xlm-roberta", cfg="XLMRobertaConfig", seed=103,
                        features=["RoBERTa layout under XLM-R names", "gelu (exact)", "unigram tokenizer"],
                        config=dict(COMMON, hidden_act="gelu", type_vocab_size=1, layer_norm_eps=1e-5,
                                    max_position_embeddings=258, pad_token_id=1, bos_token_id=0, eos_token_id=2)),
    "camembert": dict(tok="camembert", cfg="CamembertConfig", seed=112,
                      features=["RoBERTa layout under CamemBERT names (model_type camembert)", "gelu_new (tanh)",
                                "type_vocab_size 1", "unigram tokenizer"],
                      config=dict(COMMON, hidden_act="gelu_new", type_vocab_size=1, layer_norm_eps=1e-5,
                                  max_position_embeddings=258, pad_token_id=1, bos_token_id=0, eos_token_id=2)),
    "distilbert": dict(tok="distilbert", cfg="DistilBertConfig", seed=104,
                       features=["absolute positions", "no token types", "gelu (exact)"],
                       config=dict(dim=32, n_heads=4, hidden_dim=64, n_layers=2, max_position_embeddings=256,
                                   activation="gelu", dropout=0.0, attention_dropout=0.0, pad_token_id=0)),
    "electra": dict(tok="electra", cfg="ElectraConfig", seed=105,
                    features=["embedding_size 16 != hidden 32 (embeddings_project)", "gelu_new (tanh)"],
                    config=dict(COMMON, embedding_size=16, hidden_act="gelu_new", type_vocab_size=2, layer_norm_eps=1e-12)),
    "albert": dict(tok="albert", cfg="AlbertConfig", seed=106,
                   features=["embedding_size 16 != hidden 32", "one hidden group, 3 layers share weights",
                             "gelu_new (tanh)", "unigram tokenizer"],
                   config=dict(COMMON, num_hidden_layers=3, embedding_size=16, num_hidden_groups=1, inner_group_num=1,
                               hidden_act="gelu_new", type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0,
                               bos_token_id=2, eos_token_id=3)),
    "mpnet": dict(tok="mpnet", cfg="MPNetConfig", seed=107,
                  features=["absolute positions offset by padding_idx+1", "relative_attention_bias 32 buckets, max distance 128",
                            "gelu (exact)"],
                  config=dict(COMMON, max_position_embeddings=258, hidden_act="gelu", layer_norm_eps=1e-5,
                              relative_attention_num_buckets=32, pad_token_id=1, bos_token_id=0, eos_token_id=2)),
    "deberta-v3": dict(tok="deberta-v2", cfg="DebertaV2Config", seed=108,
                       features=["relative_attention", "position_buckets 16, max_relative_positions 64",
                                 "pos_att_type p2c+c2p", "share_att_key", "norm_rel_ebd layer_norm",
                                 "position_biased_input false", "gelu (exact)"],
                       config=dict(COMMON, hidden_act="gelu", type_vocab_size=0, layer_norm_eps=1e-7, pad_token_id=0,
                                   relative_attention=True, position_buckets=16, max_relative_positions=64,
                                   pos_att_type=["p2c", "c2p"], share_att_key=True, norm_rel_ebd="layer_norm",
                                   position_biased_input=False)),
    "deberta-v2-abs": dict(tok="deberta-v2", cfg="DebertaV2Config", seed=109,
                           features=["relative_attention without buckets, max_relative_positions 32 (clipped)",
                                     "pos_att_type c2p+p2c with share_att_key false (pos_key_proj, pos_query_proj)",
                                     "norm_rel_ebd none", "position_biased_input true", "embedding_size 24 != hidden (embed_proj)",
                                     "type_vocab_size 2", "gelu_new (tanh)"],
                           config=dict(COMMON, hidden_act="gelu_new", type_vocab_size=2, layer_norm_eps=1e-7,
                                       pad_token_id=0, embedding_size=24, relative_attention=True, position_buckets=-1,
                                       max_relative_positions=32, pos_att_type=["c2p", "p2c"], share_att_key=False,
                                       norm_rel_ebd="none", position_biased_input=True)),
    "modernbert": dict(tok="modernbert", cfg="ModernBertConfig", seed=110, legacy_config=True,
                       features=["rotary positions (global_rope_theta 160000, local_rope_theta 10000)",
                                 "global_attn_every_n_layers 2 over 3 layers: full, sliding, full",
                                 "local_attention 8 (|i-j| <= 4)", "pre-LN, final_norm", "GeGLU with gelu (exact)",
                                 "no biases", "config.json in the Hub checkpoint form (global_attn_every_n_layers, *_rope_theta)"],
                       config=dict(hidden_size=32, num_attention_heads=4, intermediate_size=48, num_hidden_layers=3,
                                   max_position_embeddings=256, global_attn_every_n_layers=2, local_attention=8,
                                   global_rope_theta=160000.0, local_rope_theta=10000.0, hidden_activation="gelu",
                                   norm_eps=1e-5, norm_bias=False, attention_bias=False, mlp_bias=False,
                                   classifier_bias=False, decoder_bias=True, embedding_dropout=0.0,
                                   attention_dropout=0.0, mlp_dropout=0.0, pad_token_id=3, cls_token_id=1,
                                   sep_token_id=2, bos_token_id=None, eos_token_id=None)),
    "modernbert-v5cfg": dict(tok="modernbert", cfg="ModernBertConfig", seed=111, legacy_config=False,
                             features=["rotary positions, thetas 80000 (full) / 5000 (sliding)",
                                       "global_attn_every_n_layers 3 over 4 layers: full, sliding, sliding, full",
                                       "local_attention 8", "pre-LN, final_norm", "GeGLU with gelu_new (tanh)",
                                       "LayerNorm and linear biases ON (norm_bias, attention_bias, mlp_bias)",
                                       "config.json as transformers 5 writes it (layer_types, rope_parameters)"],
                             config=dict(hidden_size=32, num_attention_heads=4, intermediate_size=48, num_hidden_layers=4,
                                         max_position_embeddings=256, global_attn_every_n_layers=3, local_attention=8,
                                         global_rope_theta=80000.0, local_rope_theta=5000.0, hidden_activation="gelu_new",
                                         norm_eps=1e-5, norm_bias=True, attention_bias=True, mlp_bias=True,
                                         embedding_dropout=0.0, attention_dropout=0.0, mlp_dropout=0.0, pad_token_id=3,
                                         cls_token_id=1, sep_token_id=2, bos_token_id=None, eos_token_id=None)),
}


# ------------------------------------------------------------------------------------------- weights
def randomise(model, seed):
    """Every parameter from a seeded generator: LayerNorm gain 1 + 0.3 N (so never 1), biases 0.1 N,
    embedding/relative tables 0.5 N, other matrices N / sqrt(fan_in). Returns the parameter names set."""
    rng = np.random.default_rng(seed)
    owner = {}
    for mname, mod in model.named_modules():
        for pname, _ in mod.named_parameters(recurse=False):
            owner[f"{mname}.{pname}" if mname else pname] = mod
    done = []
    with torch.no_grad():
        for name, p in model.named_parameters():  # shared (ALBERT) tensors are listed once
            mod, shape = owner[name], tuple(p.shape)
            n = rng.standard_normal(shape)
            if isinstance(mod, nn.LayerNorm) or type(mod).__name__.endswith("LayerNorm"):
                v = 1.0 + 0.3 * n if name.endswith("weight") else 0.2 * n
            elif isinstance(mod, nn.Embedding):
                v = 0.5 * n
            elif p.ndim >= 2:
                v = n / np.sqrt(shape[-1])
            else:
                v = 0.1 * n
            p.copy_(torch.from_numpy(v.astype(np.float32)))
            done.append(name)
    return done


def legacy_modernbert_config(spec, model_config):
    """The config.json form real ModernBERT checkpoints on the Hub carry (transformers 4.48+ fields)."""
    c = dict(spec["config"])
    c.update(model_type="modernbert", architectures=["ModernBertModel"], vocab_size=model_config.vocab_size,
             hidden_activation=c["hidden_activation"], torch_dtype="float32", initializer_range=0.02,
             position_embedding_type="absolute")
    return c


def build(name, spec, folder):
    tok = make_tokenizer(spec["tok"])
    cfg_cls = getattr(transformers, spec["cfg"])
    conf = dict(spec["config"])
    conf["vocab_size"] = len(tok)
    config = cfg_cls(**conf)
    torch.manual_seed(spec["seed"])
    model = AutoModel.from_config(config).eval()
    names = randomise(model, spec["seed"])
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    if spec.get("legacy_config"):
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(legacy_modernbert_config(spec, config), f, indent=2, sort_keys=True)
            f.write("\n")
    return names


# ---------------------------------------------------------------------------------------- reference
def run(folder):
    torch.set_num_threads(1)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder, attn_implementation="eager", dtype=torch.float32).eval()
    enc = tok(SENTENCES, padding=True, return_tensors="pt")
    accepted = inspect.signature(model.forward).parameters
    feed = {k: v for k, v in enc.items() if k in accepted}
    extra = {}
    if hasattr(model, "final_norm"):  # pre-LN (ModernBERT): the residual stream before the final norm
        model.final_norm.register_forward_pre_hook(lambda m, a: extra.__setitem__("final_norm_input", a[0].detach().clone()))
    with torch.no_grad():
        out = model(**feed, output_hidden_states=True)
    return tok, model, enc, feed, out, extra


def relative_index_table(model, T):
    """Ground truth for the relative-position families, over every offset the batch holds
    (d = -(T-1) .. T-1): the table row each offset reads, from transformers' own bucket functions
    (they compute logs in float32; a float64 port can land in a neighbouring bucket at a boundary)."""
    d = torch.arange(-(T - 1), T)
    if model.config.model_type == "mpnet":
        # MPNetEncoder.compute_position_bias: relative_position = key - query, relative_position_bucket with
        # num_buckets=32 and max_distance=128 HARD-CODED (config.relative_attention_num_buckets only sizes the table)
        rows = model.encoder.relative_position_bucket(d, num_buckets=32, max_distance=128)
        return {"offset": "d = key position - query position", "from": -(T - 1),
                "rows": "row of encoder.relative_attention_bias.weight; bias[h, q, k] = weight[row(k - q), h]",
                "values": rows.tolist()}
    if model.config.model_type == "deberta-v2":
        from transformers.models.deberta_v2.modeling_deberta_v2 import make_log_bucket_position
        att = model.encoder.layer[0].attention.self
        span = att.pos_ebd_size
        b = make_log_bucket_position(d, att.position_buckets, att.max_relative_positions) if att.position_buckets > 0 else d
        idx = torch.clamp(b.long() + span, 0, 2 * span - 1)
        return {"offset": "d = query position - key position", "from": -(T - 1), "att_span": span,
                "rows": "row of the (normed) encoder.rel_embeddings.weight[0:2*att_span]: c2p[q,k] = Q_q . Kr[row(q-k)], "
                        "p2c[q,k] = K_k . Qr[row(q-k)]; row(d) = clamp(bucket(d) + att_span, 0, 2*att_span-1)",
                "values": idx.tolist()}
    return None


def write_reference(name, spec, folder, names):
    tok, model, enc, feed, out, extra = run(folder)
    ids, mask = enc["input_ids"].numpy(), enc["attention_mask"].numpy()
    B, T = ids.shape
    counts = [int(m.sum()) for m in mask]
    rows = [(b, t) for b in range(B) for t in range(T) if mask[b, t]]
    arrays = [(f"hidden_states.{l}", h) for l, h in enumerate(out.hidden_states)]
    arrays.append(("last_hidden_state", out.last_hidden_state))
    arrays += list(extra.items())
    blob, blocks, offset = [], [], 0
    for bname, h in arrays:
        a = h.to(torch.float32).numpy()
        flat = np.stack([a[b, t] for (b, t) in rows]).astype("<f4")
        blob.append(flat.tobytes(order="C"))
        blocks.append({"name": bname, "offset": offset, "shape": list(flat.shape), "max_abs": float(np.abs(flat).max())})
        offset += flat.nbytes
    data = b"".join(blob)
    L = len(out.hidden_states) - 1
    input_ids = [[int(ids[b, t]) for t in range(T) if mask[b, t]] for b in range(B)]
    assert counts[3] > 130, f"{name}: the long sentence has only {counts[3]} tokens"
    assert max(counts) <= model.config.max_position_embeddings - 2
    files = sorted(f for f in os.listdir(folder) if f not in ("reference.json", "reference.f32", "README.md"))
    st_names = sorted(safetensors.safe_open(os.path.join(folder, "model.safetensors"), "np").keys())
    ref = {
        "format": "positional-artefacts family reference 1",
        "name": name,
        "model_type": model.config.model_type,
        "model_class": type(model).__name__,
        "synthetic": True,
        "note": "SYNTHETIC checkpoint: seeded random weights, NOT trained; exact ground truth only",
        "seed": spec["seed"],
        "features": spec["features"],
        "files": {f: sha256_file(os.path.join(folder, f)) for f in files},
        "sentences": SENTENCES,
        "input_ids": input_ids,
        "tokens": [tok.convert_ids_to_tokens(s) for s in input_ids],
        "token_counts": counts,
        "batch": {"padding_side": tok.padding_side, "input_ids": ids.tolist(), "attention_mask": mask.tolist(),
                  "fed": sorted(feed)},
        "layers": L + 1,
        "hidden": int(out.last_hidden_state.shape[-1]),
        "settings": {"eval": True, "dtype": "float32", "threads": 1, "output_hidden_states": True,
                     "attn_implementation": model.config._attn_implementation},
        "blocks": blocks,
        "relative_index": relative_index_table(model, T),
        "last_equals_hidden_L": bool(torch.equal(out.last_hidden_state, out.hidden_states[L])),
        "data": {"file": "reference.f32", "dtype": "float32", "byteorder": "little",
                 "layout": "per block: [real tokens of every sentence, in sentence order, padding excluded][hidden]",
                 "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
        "max_abs": max(b["max_abs"] for b in blocks),
        "randomised_parameters": len(names),
        "safetensors_tensors": st_names,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "safetensors": safetensors.__version__, "numpy": np.__version__},
        "command": f"python tools/reference/make_family_fixtures.py --only {name}",
    }
    return ref, data


def make(name, out_root):
    spec = FIXTURES[name]
    os.makedirs(out_root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=out_root)
    try:
        names = build(name, spec, tmp)
        ref, data = write_reference(name, spec, tmp, names)
        with open(os.path.join(tmp, "reference.f32"), "wb") as f:
            f.write(data)
        with open(os.path.join(tmp, "reference.json"), "w") as f:
            f.write(to_json(ref))
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write(f"# SYNTHETIC {ref['model_class']} checkpoint ({name})\n\n"
                    f"Written by `tools/reference/make_family_fixtures.py` (seed {spec['seed']}): seeded random weights, "
                    f"NOT a trained model; every parameter randomised. Exercises: {'; '.join(spec['features'])}.\n"
                    f"`reference.json` + `reference.f32`: transformers {transformers.__version__} / torch {torch.__version__} "
                    f"hidden states (eager attention, float32); format in ../README.md.\n")
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700
        for f in os.listdir(tmp):
            os.chmod(os.path.join(tmp, f), 0o644)
        final = os.path.join(out_root, name)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tot = sum(os.path.getsize(os.path.join(final, f)) for f in os.listdir(final))
    print(f"make_family_fixtures: {name}: {ref['layers']} layers x {sum(ref['token_counts'])} tokens x {ref['hidden']}, "
          f"max_abs {ref['max_abs']:.4g}, last==hidden[L] {ref['last_equals_hidden_L']}, {tot} bytes", file=sys.stderr)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=None, help=f"comma-separated subset of: {', '.join(FIXTURES)}")
    p.add_argument("--out", default=OUT, help="output folder (default: %(default)s)")
    args = p.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(FIXTURES)
    unknown = [n for n in chosen if n not in FIXTURES]
    if unknown:
        sys.exit(f"--only: unknown fixture(s) {unknown}; known: {', '.join(FIXTURES)}")
    for n in chosen:
        make(n, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
