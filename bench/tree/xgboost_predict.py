"""Rows/s of XGBoost's own predict on the example model, for the tree benchmark (bench/tree/tree-bench.ts).

Usage: /usr/bin/python3 bench/tree/xgboost_predict.py MODEL.json REFERENCE.json SECONDS
Prints one JSON line: {"batch_1": rows_per_s, "batch_256": rows_per_s, "xgboost": version}.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def rate(booster, x, seconds):
    rows = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        booster.inplace_predict(x)
        rows += x.shape[0]
    return rows / (time.perf_counter() - start)


def main():
    model, reference, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    booster = xgb.Booster()
    booster.load_model(model)
    booster.set_param({"nthread": 1})
    ref = json.load(open(reference))
    rows = np.array([[np.nan if v is None else v for v in r] for r in ref["inputs"]], dtype=np.float32)
    batch = np.resize(rows, (256, rows.shape[1]))
    out = {"batch_1": rate(booster, rows[:1], seconds), "batch_256": rate(booster, batch, seconds), "xgboost": xgb.__version__}
    print(json.dumps(out))


main()
