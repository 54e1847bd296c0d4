"""Summarise a py-spy ``raw`` (collapsed stacks) profile: self and inclusive time per frame.

python bench/topstacks.py profile.txt [--top 30] [--match sqlalchemy]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_LINE = re.compile(r"^(.*) (\d+)$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="inclusive time of frames containing this")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    with open(args.path) as f:
        for line in f:
            m = _LINE.match(line.rstrip("\n"))
            if not m:
                continue
            stack, count = m.group(1).split(";"), int(m.group(2))
            total += count
            own[_short(stack[-1])] += count
            for frame in {_short(x) for x in stack}:
                incl[frame] += count
    print(f"{total} samples")
    print("-- self")
    for frame, n in own.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {frame}")
    print("-- inclusive")
    for frame, n in incl.most_common(args.top * 3):
        if args.match in frame:
            print(f"{100 * n / total:5.1f}%  {frame}")


def _short(frame: str) -> str:
    # "func (path/to/module.py:123)" -> "func (module.py)"
    m = re.match(r"^(.*) \((.*?):\d+\)$", frame)
    if not m:
        return frame
    path = m.group(2)
    parts = path.split("/")
    pkg = next((p for p in reversed(parts[:-1]) if p not in ("site-packages", "src")), "")
    return f"{m.group(1)} ({pkg}/{parts[-1]})"


if __name__ == "__main__":
    main()
