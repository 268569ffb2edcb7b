#!/usr/bin/env python3
"""The post-training table of a result whose baselines are the PTQ grid of
bench/ptq/fashion-lenet5-ptq-table.json: one row per bit widths and range method, one column per
step set (nothing, CLE + high-bias absorption, + empirical bias correction, AdaRound), each cell
top-1 and the seconds the baseline took. Usage: ptq_table.py RESULT.json"""
import json
import sys

COLUMNS = [("nothing", ""), ("CLE + absorption", "-cle"), ("+ bias correction", "-cle-bc"),
           ("AdaRound", "-adaround")]


def main(path):
    with open(path) as f:
        r = json.load(f)
    by_name = {b["name"]: b for b in r["baselines"]}
    print(f"float top-1 {r['accuracy']['fp32']:.2f}%\n")
    print("| bits | ranges | " + " | ".join(c for c, _ in COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for bits in ["w8a8", "w4a8", "w4a4"]:
        for rng, tag in [("min-max", "-minmax"), ("MSE", "")]:
            cells = []
            for _, suffix in COLUMNS:
                b = by_name.get(f"ptq-{bits}{tag}{suffix}")
                cells.append("-" if b is None else f"{b['accuracy']:.2f}% ({b['seconds']:.1f} s)")
            print(f"| {bits.upper()} | {rng} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
