#!/usr/bin/env python3
"""Python quick check of a model folder written by train.py (NOT the toolkit's TypeScript analysis).

On the held-out windows (the same [CLS] + 62 tokens + [SEP] windows as training; [CLS]/[SEP] excluded):
  * per hidden state (0 = embedding output, 1..L = layers): for each dimension the share of tokens for which
    it is the argmax / argmin of the vector (uniform = 1/hidden), top dimensions listed;
  * outlier set: dimensions whose argmax or argmin share is >= --share-threshold in at least one layer >= 1;
  * anisotropy: mean cosine of --pairs random token pairs from different windows, raw and with the outlier
    set zeroed ("clipped"), per hidden state;
  * order use: held-out MLM loss with fixed masks on the windows as they are and with the non-special
    tokens of each window shuffled (a model without positions gives the same loss up to float rounding).
Writes JSON to --out and prints a summary.
"""
import argparse, json, math, os, sys
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_model import load  # noqa: E402
from train import windows_from, mask_batch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache"))
    ap.add_argument("--pairs", type=int, default=2000)
    ap.add_argument("--share-threshold", type=float, default=0.10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(a.model, "tokenizer.json"))
    m, cfg = load(a.model)
    T = cfg["max_position_embeddings"]
    held, _ = windows_from(os.path.join(a.workdir, "heldout.txt"), tok, T)
    H, L = cfg["hidden_size"], cfg["num_hidden_layers"]
    with torch.no_grad():
        hs = [torch.cat(z) for z in zip(*[m.encode(held[i:i + 64], all_layers=True) for i in range(0, len(held), 64)])]
    inner = [h[:, 1:-1, :] for h in hs]  # drop [CLS] and [SEP]
    N, Tn = inner[0].shape[:2]
    res = {"model": os.path.abspath(a.model), "position_embedding_type": cfg.get("position_embedding_type"),
           "windows": N, "tokens": N * Tn, "uniform_share": 1.0 / H, "layers": []}
    for li, h in enumerate(inner):
        flat = h.reshape(-1, H)
        amax = torch.bincount(flat.argmax(1), minlength=H).double() / flat.shape[0]
        amin = torch.bincount(flat.argmin(1), minlength=H).double() / flat.shape[0]
        mean = flat.mean(0)
        top = lambda v: [[int(i), round(float(v[i]), 4)] for i in torch.argsort(v, descending=True)[:3]]
        res["layers"].append({"layer": li, "argmax_top": top(amax), "argmin_top": top(amin),
                              "mean_abs_max_over_median": round(float(mean.abs().max() / mean.abs().median()), 2),
                              "dim_of_largest_mean_abs": int(mean.abs().argmax()),
                              "_amax": amax, "_amin": amin})
    outl = sorted({d for r in res["layers"][1:] for d in range(H)
                   if r["_amax"][d] >= a.share_threshold or r["_amin"][d] >= a.share_threshold})
    res["outlier_dims"] = outl
    res["outlier_rule"] = "argmax or argmin share >= %.2f in at least one layer >= 1" % a.share_threshold
    res["outlier_shares"] = {str(d): {"argmax": [round(float(r["_amax"][d]), 4) for r in res["layers"]],
                                      "argmin": [round(float(r["_amin"][d]), 4) for r in res["layers"]]} for d in outl}
    for r in res["layers"]:
        del r["_amax"], r["_amin"]
    g = torch.Generator().manual_seed(a.seed)
    w1 = torch.randint(0, N, (a.pairs,), generator=g)
    off = torch.randint(1, N, (a.pairs,), generator=g)
    w2 = (w1 + off) % N  # a different window
    p1 = torch.randint(0, Tn, (a.pairs,), generator=g)
    p2 = torch.randint(0, Tn, (a.pairs,), generator=g)
    keep = torch.ones(H)
    keep[outl] = 0
    for r, h in zip(res["layers"], inner):
        x, y = h[w1, p1], h[w2, p2]
        r["anisotropy_raw"] = round(float(F.cosine_similarity(x, y, dim=1).mean()), 4)
        r["anisotropy_clipped"] = round(float(F.cosine_similarity(x * keep, y * keep, dim=1).mean()), 4)
    # order use
    V = cfg["vocab_size"]
    gm = torch.Generator().manual_seed(a.seed + 1)
    gs = torch.Generator().manual_seed(a.seed + 2)
    tot = {"ordered": 0.0, "shuffled": 0.0}
    n = 0
    with torch.no_grad():
        for i in range(0, len(held), 64):
            ids = held[i:i + 64]
            inp, sel = mask_batch(ids, V, gm)
            perm = torch.argsort(torch.rand(ids.shape[0], ids.shape[1] - 2, generator=gs), dim=1) + 1
            full = torch.cat([torch.zeros(ids.shape[0], 1, dtype=torch.long), perm,
                              torch.full((ids.shape[0], 1), ids.shape[1] - 1, dtype=torch.long)], 1)
            for name, (x, s, t) in {"ordered": (inp, sel, ids), "shuffled": (inp.gather(1, full), sel.gather(1, full), ids.gather(1, full))}.items():
                tot[name] += F.cross_entropy(m.mlm_logits(m.encode(x)[s]), t[s], reduction="sum").item()
            n += int(sel.sum())
    res["heldout_mlm"] = {k: {"loss": round(v / n, 4), "ppl": round(math.exp(v / n), 2)} for k, v in tot.items()}
    res["heldout_mlm"]["masked_tokens"] = n
    res["heldout_mlm"]["note"] = "quick-check masks (seed %d), not the training log's final masks" % (a.seed + 1)
    if a.out:
        json.dump(res, open(a.out, "w"), indent=1)
    print("model", a.model, "windows", N, "tokens", N * Tn, "uniform share %.4f" % (1.0 / H))
    print("held-out MLM ordered %(ordered)s shuffled %(shuffled)s" % res["heldout_mlm"])
    print("outlier dims (%s): %s" % (res["outlier_rule"], outl))
    print("| state | argmax top (dim: share) | argmin top (dim: share) | anisotropy raw | clipped |")
    for r in res["layers"]:
        f = lambda t: ", ".join("%d: %.1f%%" % (d, 100 * s) for d, s in t)
        print("| %d | %s | %s | %.3f | %.3f |" % (r["layer"], f(r["argmax_top"]), f(r["argmin_top"]),
                                                 r["anisotropy_raw"], r["anisotropy_clipped"]))


if __name__ == "__main__":
    main()
