#!/usr/bin/env python3
"""Plain post-LayerNorm BERT masked LM trained on CPU; two variants that differ ONLY in learned absolute
position embeddings (--positions absolute|none). Same seed, same initial weights for every shared
parameter, same data order, same masks, same schedule.

Writes a Hugging Face BERT folder: config.json, model.safetensors (BertModel key names + cls.predictions.*),
tokenizer files, training_log.json, corpus.json, seed.txt.
"""
import argparse, json, math, os, platform, shutil, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SPECIAL_IDS = (0, 1, 2, 3, 4)  # [PAD] [UNK] [CLS] [SEP] [MASK] (tokenizer.py order)
PAD, UNK, CLS, SEP, MASK = SPECIAL_IDS


def gelu(x):  # exact erf GELU (HF "gelu")
    return F.gelu(x)


class Layer(nn.Module):
    def __init__(s, H, A, FF, eps):
        super().__init__()
        s.A = A
        s.q, s.k, s.v = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        s.o = nn.Linear(H, H)
        s.ln1 = nn.LayerNorm(H, eps=eps)
        s.ff1, s.ff2 = nn.Linear(H, FF), nn.Linear(FF, H)
        s.ln2 = nn.LayerNorm(H, eps=eps)

    def forward(s, x):
        B, T, H = x.shape
        d = H // s.A
        q = s.q(x).view(B, T, s.A, d).transpose(1, 2)
        k = s.k(x).view(B, T, s.A, d).transpose(1, 2)
        v = s.v(x).view(B, T, s.A, d).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(B, T, H)
        x = s.ln1(x + s.o(ctx))
        return s.ln2(x + s.ff2(gelu(s.ff1(x))))


class BertMLM(nn.Module):
    def __init__(s, V, H, L, A, FF, P, positions, eps):
        super().__init__()
        s.word = nn.Embedding(V, H)
        s.tt = nn.Embedding(1, H)
        s.ln = nn.LayerNorm(H, eps=eps)
        s.layers = nn.ModuleList([Layer(H, A, FF, eps) for _ in range(L)])
        s.head_dense = nn.Linear(H, H)
        s.head_ln = nn.LayerNorm(H, eps=eps)
        s.head_bias = nn.Parameter(torch.zeros(V))
        s.pos = nn.Embedding(P, H) if positions else None

    def init_weights(s, seed):
        # BERT init: normal(0, 0.02) weights, zero biases, LayerNorm (1, 0). Shared parameters are drawn
        # first, in a fixed order, from one generator; the position table last from its own generator,
        # so both variants start from identical shared weights.
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in s.named_parameters():
                if name.startswith("pos."):
                    continue
                if name.endswith("bias") or name == "head_bias":
                    p.zero_()
                elif ".ln" in name or name.startswith("ln.") or name.startswith("head_ln.") or "ln1" in name or "ln2" in name:
                    p.fill_(1.0)
                else:
                    p.copy_(torch.randn(p.shape, generator=g) * 0.02)
            if s.pos is not None:
                gp = torch.Generator().manual_seed(seed + 1)
                s.pos.weight.copy_(torch.randn(s.pos.weight.shape, generator=gp) * 0.02)

    def encode(s, ids, all_layers=False):
        x = s.word(ids) + s.tt.weight[0]
        if s.pos is not None:
            x = x + s.pos.weight[: ids.shape[1]]
        x = s.ln(x)
        hs = [x]
        for l in s.layers:
            x = l(x)
            hs.append(x)
        return hs if all_layers else x

    def mlm_logits(s, h):  # h: [N, H] hidden states at masked positions only; decoder tied to word emb.
        return s.head_ln(gelu(s.head_dense(h))) @ s.word.weight.t() + s.head_bias


def windows_from(path, tok, L):
    """Token windows of running text, [CLS] + (L-2) tokens + [SEP], not crossing documents; remainders dropped."""
    docs = [l.rstrip("\n") for l in open(path, encoding="utf-8") if l.strip()]
    enc = tok.encode_batch(docs, add_special_tokens=False)
    n = L - 2
    out = []
    for e in enc:
        ids = e.ids
        for i in range(0, len(ids) - n + 1, n):
            out.append([CLS] + ids[i:i + n] + [SEP])
    return torch.tensor(out, dtype=torch.long), sum(len(e.ids) for e in enc)


def mask_batch(ids, V, g, rate=0.15):
    """BERT masking: choose 15% of non-special positions; 80% [MASK], 10% random token, 10% unchanged."""
    cand = ids > MASK  # not a special token
    sel = (torch.rand(ids.shape, generator=g) < rate) & cand
    r = torch.rand(ids.shape, generator=g)
    rnd = torch.randint(len(SPECIAL_IDS), V, ids.shape, generator=g)
    inp = ids.clone()
    inp[sel & (r < 0.8)] = MASK
    m2 = sel & (r >= 0.8) & (r < 0.9)
    inp[m2] = rnd[m2]
    return inp, sel


def evaluate(model, batches):
    tot, n = 0.0, 0
    with torch.no_grad():
        for inp, sel, tgt in batches:
            h = model.encode(inp)[sel]
            tot += F.cross_entropy(model.mlm_logits(h), tgt, reduction="sum").item()
            n += tgt.numel()
    return tot / max(n, 1), n


def state_dict_hf(model, positions):
    sd = {"embeddings.word_embeddings.weight": model.word.weight,
          "embeddings.token_type_embeddings.weight": model.tt.weight,
          "embeddings.LayerNorm.weight": model.ln.weight, "embeddings.LayerNorm.bias": model.ln.bias}
    if positions:
        sd["embeddings.position_embeddings.weight"] = model.pos.weight
    for i, l in enumerate(model.layers):
        p = "encoder.layer.%d." % i
        for a, m in (("attention.self.query", l.q), ("attention.self.key", l.k), ("attention.self.value", l.v),
                     ("attention.output.dense", l.o), ("attention.output.LayerNorm", l.ln1),
                     ("intermediate.dense", l.ff1), ("output.dense", l.ff2), ("output.LayerNorm", l.ln2)):
            sd[p + a + ".weight"] = m.weight
            sd[p + a + ".bias"] = m.bias
    # Hugging Face BertForMaskedLM layout: encoder under "bert.", MLM head under "cls.predictions." (decoder
    # weight tied to the word embeddings, so not stored, as HF does)
    sd = {"bert." + k: v for k, v in sd.items()}
    sd["cls.predictions.transform.dense.weight"] = model.head_dense.weight
    sd["cls.predictions.transform.dense.bias"] = model.head_dense.bias
    sd["cls.predictions.transform.LayerNorm.weight"] = model.head_ln.weight
    sd["cls.predictions.transform.LayerNorm.bias"] = model.head_ln.bias
    sd["cls.predictions.bias"] = model.head_bias
    return {k: v.detach().contiguous().clone().float() for k, v in sd.items()}


def save_safetensors(path, tensors, metadata):
    try:
        from safetensors.torch import save_file
        save_file(tensors, path, metadata=metadata)
        return "safetensors " + __import__("safetensors").__version__
    except ImportError:
        header, off, blobs = {}, 0, []
        for k in sorted(tensors):
            b = tensors[k].numpy().astype("<f4").tobytes()
            header[k] = {"dtype": "F32", "shape": list(tensors[k].shape), "data_offsets": [off, off + len(b)]}
            off += len(b)
            blobs.append(b)
        header["__metadata__"] = metadata
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        with open(path, "wb") as f:
            f.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))
        return "own writer"


def reader_fields(log):
    """Top-level fields src/defaults.ts readTrainingLog reads: final_perplexity (all held-out windows),
    evaluations [{step, perplexity}] (256 held-out windows), hyperparameters (= args)."""
    out = {"final_perplexity": log["final"]["heldout_ppl"], "final_heldout_loss": log["final"]["heldout_loss"],
           "hyperparameters": log["args"]}
    out.update(log)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--positions", choices=["absolute", "none"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache"))
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=1024)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--warmup", type=float, default=0.06, help="fraction of steps (or absolute if >= 1)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--clip", type=float, default=0.5)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--eval-windows", type=int, default=256)
    ap.add_argument("--deadline", type=float, default=0, help="unix time; stop early (and say so) if passed")
    ap.add_argument("--dry-run", action="store_true", help="time steps only, write nothing")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    from tokenizers import Tokenizer
    tdir = os.path.join(a.workdir, "tokenizer")
    tok = Tokenizer.from_file(os.path.join(tdir, "tokenizer.json"))
    V = tok.get_vocab_size()
    t0 = time.time()
    train, ntr_tok = windows_from(os.path.join(a.workdir, "train.txt"), tok, a.seq)
    held, nhe_tok = windows_from(os.path.join(a.workdir, "heldout.txt"), tok, a.seq)
    print("windows train %d (%d tokens) heldout %d (%d tokens) in %.1fs" % (len(train), ntr_tok, len(held), nhe_tok, time.time() - t0), flush=True)
    positions = a.positions == "absolute"
    model = BertMLM(V, a.hidden, a.layers, a.heads, a.ffn, a.seq, positions, 1e-12)
    model.init_weights(a.seed)
    nparams = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": nodecay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98), eps=1e-6)
    warm = int(a.warmup if a.warmup >= 1 else round(a.warmup * a.steps))

    def lr_at(step):  # step is 1-based; linear warm-up, then polynomial (power 1) decay to 0 at a.steps
        if step <= warm:
            return a.lr * step / max(warm, 1)
        return a.lr * max(0.0, (a.steps - step) / max(a.steps - warm, 1))

    # held-out batches with fixed masks (identical for both variants)
    ge = torch.Generator().manual_seed(a.seed + 7)
    def eval_batches(w):
        out = []
        for i in range(0, len(w), 64):
            ids = w[i:i + 64]
            inp, sel = mask_batch(ids, V, ge)
            out.append((inp, sel, ids[sel]))
        return out
    gsub = torch.Generator().manual_seed(a.seed + 3)
    sub = held[torch.randperm(len(held), generator=gsub)[:a.eval_windows]]
    eval_small = eval_batches(sub)
    eval_full = eval_batches(held)
    # data order and masks: own generators, consumed identically by both variants (no dropout)
    gd = torch.Generator().manual_seed(a.seed + 11)
    gm = torch.Generator().manual_seed(a.seed + 13)
    perm, pi, epoch = torch.randperm(len(train), generator=gd), 0, 0
    log = {"steps": [], "evaluations": []}
    run_loss, run_n, t_start = 0.0, 0, time.time()
    stopped_early = None
    step = 0
    for step in range(1, a.steps + 1):
        if pi + a.batch > len(perm):
            perm, pi, epoch = torch.randperm(len(train), generator=gd), 0, epoch + 1
        ids = train[perm[pi:pi + a.batch]]
        pi += a.batch
        inp, sel = mask_batch(ids, V, gm)
        lr = lr_at(step)
        for g in opt.param_groups:
            g["lr"] = lr
        h = model.encode(inp)[sel]
        loss = F.cross_entropy(model.mlm_logits(h), ids[sel])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        run_loss += loss.item(); run_n += 1
        if a.dry_run:
            print("step %d loss %.4f %.3fs/step" % (step, loss.item(), (time.time() - t_start) / step), flush=True)
            continue
        if step % a.log_every == 0 or step == a.steps:
            el = time.time() - t_start
            log["steps"].append({"step": step, "lr": lr, "train_loss": run_loss / run_n, "grad_norm": float(gn),
                                 "epoch": epoch, "elapsed_s": round(el, 1)})
            print("step %d lr %.2e loss %.4f gn %.2f ep %d %.2fs/step" % (step, lr, run_loss / run_n, gn, epoch, el / step), flush=True)
            run_loss, run_n = 0.0, 0
        if step % a.eval_every == 0:
            l, n = evaluate(model, eval_small)
            log["evaluations"].append({"step": step, "heldout_loss": l, "perplexity": math.exp(l), "masked_tokens": n,
                                       "windows": len(sub)})
            print("EVAL step %d heldout loss %.4f ppl %.1f" % (step, l, math.exp(l)), flush=True)
        if a.deadline and time.time() > a.deadline:
            stopped_early = "deadline passed at step %d of %d; schedule was for %d steps" % (step, a.steps, a.steps)
            print("STOP", stopped_early, flush=True)
            break
    wall = time.time() - t_start
    if a.dry_run:
        return
    fl, fn = evaluate(model, eval_full)
    print("FINAL heldout loss %.4f ppl %.2f (%d masked tokens, %d windows) wall %.0fs" % (fl, math.exp(fl), fn, len(held), wall), flush=True)
    os.makedirs(a.out, exist_ok=True)
    for f in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(os.path.join(tdir, f), os.path.join(a.out, f))
    shutil.copy(os.path.join(a.workdir, "corpus.json"), os.path.join(a.out, "corpus.json"))
    cfg = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "attention_probs_dropout_prob": 0.0,
           "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "hidden_size": a.hidden, "initializer_range": 0.02,
           "intermediate_size": a.ffn, "layer_norm_eps": 1e-12, "max_position_embeddings": a.seq,
           "num_attention_heads": a.heads, "num_hidden_layers": a.layers, "pad_token_id": PAD,
           "position_embedding_type": a.positions, "type_vocab_size": 1, "vocab_size": V,
           "tie_word_embeddings": True, "torch_dtype": "float32"}
    json.dump(cfg, open(os.path.join(a.out, "config.json"), "w"), indent=2)
    writer = save_safetensors(os.path.join(a.out, "model.safetensors"), state_dict_hf(model, positions), {"format": "pt"})
    open(os.path.join(a.out, "seed.txt"), "w").write("%d\n" % a.seed)
    log.update({
        "args": vars(a), "command": " ".join(sys.argv), "parameters": nparams, "vocab_size": V,
        "train_windows": len(train), "train_tokens": ntr_tok, "heldout_windows": len(held), "heldout_tokens": nhe_tok,
        "tokens_per_step": a.batch * a.seq, "steps_done": step, "tokens_seen": step * a.batch * a.seq,
        "epochs_seen": step * a.batch / len(train), "warmup_steps": warm, "stopped_early": stopped_early,
        "final": {"heldout_loss": fl, "heldout_ppl": math.exp(fl), "masked_tokens": fn, "windows": len(held),
                  "masking": "15%% of non-special tokens, 80/10/10, fixed seed %d" % (a.seed + 7)},
        "wall_s": round(wall, 1), "threads": a.threads, "torch": torch.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "safetensors_writer": writer,
        "optimizer": "AdamW betas (0.9, 0.98) eps 1e-6, weight decay %.3g on matrices/embeddings (not biases/LayerNorm), clip %.3g, linear warm-up %d steps then linear (polynomial power 1) decay to 0" % (a.wd, a.clip, warm),
    })
    json.dump(reader_fields(log), open(os.path.join(a.out, "training_log.json"), "w"), indent=1)
    print("saved", a.out, flush=True)


if __name__ == "__main__":
    main()
