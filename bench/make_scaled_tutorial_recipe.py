#!/usr/bin/env python3
"""Writes the PointNet tutorial's recipe (examples/tutorial_ch05/build.json)
scaled by a factor S at the same cell density, for `pointsim build` benchmarks.

  bench/make_scaled_tutorial_recipe.py S [OUT.json]   (default OUT: stdout)
  e.g. bench/make_scaled_tutorial_recipe.py 100 bench/recipes/tutorial_x100.json

Every node group's N is multiplied by S (V1 and LGN alike); the columns keep
their height and centre, and their radii are multiplied by sqrt(S), so that
the volume, and with it the number of cells per um^3, scales with N: S = 100
gives V1 = 40,000 cells at radii 0..300 and 300..600 um (height 100 um) and
LGN = 50,000 cells. Edge rules and every parameter (d_max, weights, nsyns,
nsources) stay as they are. Python 3 standard library only.
"""
import json
import math
import os
import sys


def scaled(recipe, s):
    k = math.sqrt(s)
    out = json.loads(json.dumps(recipe))  # deep copy, key order kept
    n_total = {}
    for name, net in out["networks"].items():
        for group in net["nodes"]:
            n = group["N"] * s
            if n != int(n):
                raise SystemExit(f"N = {group['N']} x {s} is not a whole number")
            group["N"] = int(n)
            n_total[name] = n_total.get(name, 0) + group["N"]
            pos = group.get("positions")
            if pos is None:
                continue
            if pos.get("generator") != "columinar":
                raise SystemExit(f"only columinar positions are scaled, got {pos.get('generator')!r}")
            for key in ("min_radius", "max_radius"):
                if key in pos:
                    pos[key] = round(pos[key] * k, 9)
    nets = ", ".join(f"{name} = {n:,} cells" for name, n in n_total.items())
    out["description"] = (
        f"The PointNet tutorial's network (examples/tutorial_ch05/build.json) at {s:g} times the size and the same "
        f"density: {nets}; column radii x {k:g}, same height; edge rules and parameters unchanged. "
        f"Written by bench/make_scaled_tutorial_recipe.py {s:g}.")
    return out


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    s = float(argv[1])
    if s <= 0:
        print("scale must be > 0", file=sys.stderr)
        return 2
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(repo, "examples", "tutorial_ch05", "build.json")) as f:
        recipe = json.load(f)
    text = json.dumps(scaled(recipe, s), indent=2) + "\n"
    if len(argv) == 3:
        with open(argv[2], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
