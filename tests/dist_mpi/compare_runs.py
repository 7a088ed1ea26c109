"""Checks that two `bytegrad train` runs took the same steps: equal losses in metrics.jsonl and
equal weights in model/model.safetensors, within a relative tolerance.

    compare_runs.py RUN_A RUN_B [TOLERANCE]
"""
import json
import struct
import sys
from array import array


def losses(run):
    with open(f"{run}/metrics.jsonl") as lines:
        return [(record["step"], record["loss"]) for record in map(json.loads, lines)]


def float32_tensors(path):
    with open(path, "rb") as file:
        (header_size,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(header_size))
        data = file.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = array("f", data[begin:end])
    return tensors


def main():
    run_a, run_b = sys.argv[1], sys.argv[2]
    tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    failures = []
    steps_a, steps_b = losses(run_a), losses(run_b)
    if [s for s, _ in steps_a] != [s for s, _ in steps_b]:
        failures.append(f"the runs logged different steps: {steps_a} and {steps_b}")
    for (step, a), (_, b) in zip(steps_a, steps_b):
        if abs(a - b) > tolerance * abs(b):
            failures.append(f"step {step}: loss {a} != {b}")
    weights_a = float32_tensors(f"{run_a}/model/model.safetensors")
    weights_b = float32_tensors(f"{run_b}/model/model.safetensors")
    if weights_a.keys() != weights_b.keys():
        failures.append(f"the models hold different tensors: {sorted(weights_a)} and {sorted(weights_b)}")
    for name in weights_a.keys() & weights_b.keys():
        a, b = weights_a[name], weights_b[name]
        scale = max(abs(v) for v in b) or 1.0
        difference = max(abs(x - y) for x, y in zip(a, b))
        if difference > tolerance * scale:
            failures.append(f"{name}: differs by {difference:.3g} (largest value {scale:.3g})")
    for failure in failures:
        print(f"{run_a} vs {run_b}: {failure}")
    print(f"{run_a} vs {run_b}: {len(steps_a)} losses and {len(weights_a)} tensors compared, {len(failures)} differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
