"""Command line: ``python -m mad claims [BUILD_DIR]`` prints the claims scorecard of a built book.

Exit status: 0 when every verdict is reproduced or declared; 1 when any claim failed
unexpectedly; 2 when the build folder holds no verdicts at all.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from mad.claims import FAILED, PAPER_CLAIMS, collect, scorecard


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    claims = sub.add_parser("claims", help="print the claims scorecard of a built book")
    claims.add_argument("build_dir", nargs="?", default="_build", help="the book's build folder (default: _build)")
    claims.add_argument("--list", action="store_true", help="list the paper's claims and exit")
    args = parser.parse_args(argv)

    if args.list:
        for cid, text in PAPER_CLAIMS.items():
            print(f"{cid:>2}. {text}")
        return 0
    try:
        verdicts = collect(args.build_dir)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not verdicts:
        print(f"error: no claim verdicts found under {args.build_dir}: was the book built (make book)?", file=sys.stderr)
        return 2
    table = scorecard(verdicts)
    print(f"Claims scorecard of {args.build_dir} (claims of Alemohammad et al. 2024, numbered as in the book)\n")
    for row in table.itertuples(index=False):
        where = f"{row.chapter}" + (f" / {row.part}" if row.part else "")
        run = f" [scale {row.scale}, seed {row.seed}]" if row.scale else ""
        print(f"claim {row.claim:>2}  {row.status:<28} {where}{run}")
        if row.evidence:
            print(textwrap.fill(row.evidence, width=110, initial_indent=" " * 10, subsequent_indent=" " * 10))
    counts = table["status"].value_counts()
    print("\n" + ", ".join(f"{n} {status}" for status, n in counts.items()))
    return 1 if (table["status"] == FAILED).any() else 0


if __name__ == "__main__":
    sys.exit(main())
