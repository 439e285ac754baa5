"""Writes test/fixtures/reference/isoscore.json: seeded point clouds and the PyPI IsoScore package's
IsoScore and IsoScore* (zeta 0.2, C0 = identity) on them, plus numpy's effective rank and top-k
variance shares, the reference for src/numerics/isotropy.ts.

Run with the reference environment (tools/reference/setup-venv.sh) after `pip install IsoScore==2.0.1`:
  ~/.cache/positional-artefacts/venv-ref/bin/python tools/reference/isoscore_reference.py
"""
import json, os, sys
import numpy as np
import torch
from IsoScore import IsoScore as iso

rng = np.random.default_rng(7)
cases = []
for name, n, d, scales in [
    ("isotropic", 400, 6, None),
    ("one-rogue-dim", 300, 8, [1, 1, 1, 1, 1, 1, 1, 40]),
    ("graded", 200, 10, [0.1 * (k + 1) ** 2 for k in range(10)]),
    ("rotated-low-rank", 150, 7, [5, 3, 1, 0.01, 0.01, 0.01, 0.01]),
]:
    x = rng.standard_normal((n, d))
    if scales is not None:
        x = x * np.array(scales)
    if name == "rotated-low-rank":
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        x = x @ q.T
    x = x + rng.standard_normal(d) * 3  # a non-zero mean
    x = np.round(x, 6)  # what the JSON holds is what both sides read
    pts = torch.tensor(x, dtype=torch.float64)
    cov = np.cov(x.T)
    lam = np.linalg.eigvalsh(cov)
    s = np.sqrt(np.clip(lam, 0, None))
    p = s / s.sum()
    p = p[p > 0]
    lam_sorted = np.sort(lam)[::-1]
    cases.append({
        "name": name,
        "points": x.tolist(),
        "isoScore": float(iso.IsoScore(pts)),
        "isoScoreStar": float(iso.IsoScore_star(pts, torch.eye(d, dtype=torch.float64), 0.2)),
        "zeta": 0.2,
        "effectiveRank": float(np.exp(-(p * np.log(p)).sum())),
        "top1": float(lam_sorted[0] / lam_sorted.sum()),
        "top5": float(lam_sorted[:5].sum() / lam_sorted.sum()),
    })
out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "reference", "isoscore.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
meta = {"generator": "tools/reference/isoscore_reference.py", "IsoScore": "2.0.1", "torch": torch.__version__, "numpy": np.__version__}
with open(out + ".tmp", "w") as f:
    json.dump({"meta": meta, "cases": cases}, f)
os.replace(out + ".tmp", out)
print(out, file=sys.stderr)
