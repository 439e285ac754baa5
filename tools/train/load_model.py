"""Load a folder written by train.py back into the plain PyTorch BertMLM (used by quick_analysis.py and
make_fixtures.py)."""
import json, os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import BertMLM  # noqa: E402


def load(folder):
    from safetensors.torch import load_file
    cfg = json.load(open(os.path.join(folder, "config.json")))
    pos = cfg.get("position_embedding_type", "absolute") == "absolute"
    m = BertMLM(cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"],
                cfg["intermediate_size"], cfg["max_position_embeddings"], pos, cfg["layer_norm_eps"])
    sd = {(k[5:] if k.startswith("bert.") else k): v for k, v in load_file(os.path.join(folder, "model.safetensors")).items()}
    own = {"embeddings.word_embeddings.weight": m.word.weight, "embeddings.token_type_embeddings.weight": m.tt.weight,
           "embeddings.LayerNorm.weight": m.ln.weight, "embeddings.LayerNorm.bias": m.ln.bias,
           "cls.predictions.transform.dense.weight": m.head_dense.weight,
           "cls.predictions.transform.dense.bias": m.head_dense.bias,
           "cls.predictions.transform.LayerNorm.weight": m.head_ln.weight,
           "cls.predictions.transform.LayerNorm.bias": m.head_ln.bias, "cls.predictions.bias": m.head_bias}
    if pos:
        own["embeddings.position_embeddings.weight"] = m.pos.weight
    for i, l in enumerate(m.layers):
        p = "encoder.layer.%d." % i
        for a, mod in (("attention.self.query", l.q), ("attention.self.key", l.k), ("attention.self.value", l.v),
                       ("attention.output.dense", l.o), ("attention.output.LayerNorm", l.ln1),
                       ("intermediate.dense", l.ff1), ("output.dense", l.ff2), ("output.LayerNorm", l.ln2)):
            own[p + a + ".weight"] = mod.weight
            own[p + a + ".bias"] = mod.bias
    assert set(own) == set(sd), (set(own) ^ set(sd))
    with torch.no_grad():
        for k, t in own.items():
            t.copy_(sd[k])
    return m.eval(), cfg
