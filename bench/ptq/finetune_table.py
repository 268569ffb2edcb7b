#!/usr/bin/env python3
"""The table of bench/ptq/finetune_methods.sh: per finetune.method, the searched configuration
(checked identical across the three jobs), accuracy after the search, after AdaRound, final,
the export's agreement, and the seconds of the AdaRound and fine-tune phases.
Usage: finetune_table.py OUT_DIR"""
import json
import os
import sys

METHODS = ["qat", "adaround", "adaround-qat"]


def main(out):
    results = {m: json.load(open(os.path.join(out, m + ".json"))) for m in METHODS}
    searched = {m: [(l["searched_weight_bits"], l["searched_act_bits"], l["channels_kept"])
                    for l in r["layers"]] for m, r in results.items()}
    same = all(s == searched["qat"] for s in searched.values())
    first = results["qat"]
    print(f"float top-1 {first['accuracy']['fp32']:.2f}%; searched top-1 "
          f"{first['accuracy']['searched']:.2f}% at {first['relative_bops_percent_searched']:.3f}% "
          f"relative BOPs; the three searches {'agree' if same else 'DIFFER'}\n")
    print("| finetune.method | after AdaRound | final top-1 | relative BOPs | "
          "AdaRound s | fine-tune s | ONNX agreement |")
    print("|---|---|---|---|---|---|---|")
    for m, r in results.items():
        t = r["timings"]
        after = r["finetune"]["accuracy_after_adaround"]
        if after is None and m == "adaround":
            after = r["accuracy"]["final"]
        cells = [m.replace("-", "+"),
                 "-" if after is None else f"{after:.2f}%",
                 f"{r['accuracy']['final']:.2f}%",
                 f"{r['relative_bops_percent']:.3f}%",
                 f"{t.get('adaround', 0):.0f}",
                 f"{t.get('finetune', 0):.0f}",
                 f"{r['export']['onnx_agreement_percent']:.2f}%"]
        print("| " + " | ".join(cells) + " |")
    print("\nper layer (AdaRound of \"adaround\"): layer, samples, reconstruction error nearest -> "
          "AdaRound, changed share, seconds")
    for l in results["adaround"]["finetune"]["adaround"]["adaround"]:
        print(f"- {l['layer']}: {l['samples']}, {l['error_nearest']:.4g} -> "
              f"{l['error_adaround']:.4g}{' (kept nearest)' if l['kept_nearest'] else ''}, "
              f"{100 * l['changed_fraction']:.1f}%, {l['seconds']:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1])
