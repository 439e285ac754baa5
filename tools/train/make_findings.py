#!/usr/bin/env python3
"""Builds test/fixtures/shipped/findings.json (read by test/models/shipped-analysis.test.ts) from the JSON
that `artefacts analyze --only anisotropy --clip <dims>` wrote for each shipped model. Copies values only:
per hidden state the three dimensions with the largest argmax / argmin share, the detected outliers, the
anisotropy raw and clipped, the sample size and the persistent outliers.

Usage (from the repository root, after `npx tsc -p .`):
  node bin/artefacts.js analyze --model models/mlm-pos   --threads 1 --only anisotropy --clip D1,D2 --out /tmp/f-pos.json
  node bin/artefacts.js analyze --model models/mlm-nopos --threads 1 --only anisotropy --clip D1,D2 --out /tmp/f-nopos.json
  /usr/bin/python3 tools/train/make_findings.py --clip D1,D2 mlm-pos=/tmp/f-pos.json mlm-nopos=/tmp/f-nopos.json \
      --out test/fixtures/shipped/findings.json
"""
import argparse, json


def top3(shares):
    order = sorted(range(len(shares)), key=lambda d: -shares[d])[:3]
    return [[d, shares[d]] for d in order]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs", nargs="+", help="name=analyze-output.json")
    ap.add_argument("--clip", required=True, help="comma-separated dims passed to --clip")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    clip = [int(x) for x in a.clip.split(",")]
    res = {"description": "Analysis figures of the shipped models recorded in models/README.md; "
                          "test/models/shipped-analysis.test.ts re-runs the command and compares.",
           "command": "node bin/artefacts.js analyze --model models/<name> --threads 1 --only anisotropy --clip %s --out <file>" % a.clip,
           "tolerance": {"share": 0.002, "anisotropy": 0.002}, "models": {}}
    for p in a.pairs:
        name, f = p.split("=", 1)
        g = json.load(open(f))
        layers = []
        for l, (L, A) in enumerate(zip(g["outliers"]["layers"], g["anisotropy"]["layers"])):
            layers.append({"layer": l, "argmax_top": top3(L["maxShare"]), "argmin_top": top3(L["minShare"]),
                           "outliers": [{"dim": o["dim"], "kind": o["kind"], "share": o.get("share")} for o in L["outliers"]],
                           "anisotropy_raw": A["raw"], "anisotropy_clipped": A["clipped"]})
        res["models"][name] = {"sample": g["sample"]["sentences"], "tokens": g["sample"]["tokens"],
                               "persistent_outliers": g["outliers"]["dimensions"], "clip": clip, "layers": layers}
    json.dump(res, open(a.out, "w"), indent=1)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
