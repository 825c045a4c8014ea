"""Command line of the MAD book.

``python -m mad claims [BUILD_DIR]``
    Print the claims scorecard of a built book: the counts of reproduced, inconclusive and
    contradicted parts first, then one entry per claim part with its rule and evidence.
``python -m mad claims --list``
    List every claim (the paper's 1-16 and the book's own) with its source.
``python -m mad seeds BUILD_DIR [BUILD_DIR ...] [--csv FILE]``
    One row of scorecard counts per build (one build per ``MAD_SEED``; see ``make seeds``).
``python -m mad clear NOTEBOOK [NOTEBOOK ...]``
    Remove outputs and execution counts from notebooks before committing them.
``python -m mad sweep SPEC [--store DIR] [--executor KIND] [--scheduler ADDRESS] [--workers N] [--device cuda]``
    Run (or resume) the sweep of a TOML/YAML spec into the result store (:mod:`mad.sweep`).
``python -m mad results SPEC [--store DIR] [--tidy] [--out FILE.csv|FILE.parquet]``
    Print a sweep's results from the store (mean and standard error over seeds), or export the tidy table.
``python -m mad store [--store DIR] [--prune] [--dry-run]``
    Size of the result store, current and stale entries (written by older ``mad`` code, never read
    again); ``--prune`` deletes the stale ones.

Exit status of ``claims``: 0 when no part is contradicted unless declared; 1 when a part is
contradicted without a declaration (or, with ``--strict``, when a part is inconclusive);
2 when the build folder is missing, unreadable or holds no verdicts. ``seeds`` exits 1 when any
build has an undeclared contradicted part and 2 when a build cannot be read.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from mad.claims import CLAIMS, FAILED, STATUS, BuildUnreadable, collect, counts, scorecard
from mad.verdicts import INCONCLUSIVE, LEVEL

EXIT_OK, EXIT_CONTRADICTED, EXIT_UNREADABLE = 0, 1, 2


def _load(build_dir: str):
    try:
        verdicts = collect(build_dir)
    except BuildUnreadable as err:
        print(f"error: {err}", file=sys.stderr)
        return None
    if not verdicts:
        print(f"error: no claim verdicts found under {build_dir}: was the book built (make book)?", file=sys.stderr)
        return None
    return scorecard(verdicts)


def _headline(c: dict[str, int]) -> str:
    parts = [f"{c[STATUS[(o, False)]]} {STATUS[(o, False)]}" for o in ("reproduced", "inconclusive", "contradicted")]
    declared = [
        f"{c[s]} {s}" for s in (STATUS[("contradicted", True)], STATUS[("reproduced", True)], STATUS[("inconclusive", True)]) if c[s]
    ]
    return f"{c['parts']} parts: " + ", ".join(parts + declared)


def claims_command(args: argparse.Namespace) -> int:
    if args.list:
        for cid, claim in CLAIMS.items():
            print(f"{cid:>2}. [{claim.source}] {claim.text}")
        return EXIT_OK
    table = _load(args.build_dir)
    if table is None:
        return EXIT_UNREADABLE
    c = counts(table)
    print(f"Claims scorecard of {args.build_dir}: verdicts at {LEVEL:.0%} confidence over independent seeds")
    print(_headline(c))
    print(f"inconclusive (asserted) parts: {c['inconclusive']}; claims with no reproduced part: {c['claims without a reproduced part']}\n")
    for row in table.itertuples(index=False):
        where = f"{row.chapter}" + (f" / {row.part}" if row.part else "")
        run = f" [scale {row.scale}, seed {row.seed}]" if row.scale else ""
        print(f"claim {row.claim:>2}  {row.status:<28} {where}{run}")
        if row.evidence:
            print(textwrap.fill(row.evidence, width=110, initial_indent=" " * 10, subsequent_indent=" " * 10))
        if row.declared:
            print(textwrap.fill("declared: " + row.declared, width=110, initial_indent=" " * 10, subsequent_indent=" " * 10))
    print("\n" + _headline(c))
    if c[FAILED]:
        print(f"{c[FAILED]} part(s) contradicted without a declaration: the claims check fails", file=sys.stderr)
        return EXIT_CONTRADICTED
    if args.strict and c[STATUS[(INCONCLUSIVE, False)]]:
        print("--strict: asserted parts came out inconclusive", file=sys.stderr)
        return EXIT_CONTRADICTED
    return EXIT_OK


def seeds_command(args: argparse.Namespace) -> int:
    import pandas as pd

    rows = []
    for build in args.build_dirs:
        table = _load(build)
        if table is None:
            return EXIT_UNREADABLE
        checked = table[table["status"] != "not checked yet"]
        seeds = sorted({int(s) for s in checked["seed"] if s != ""})
        rows.append({"build": build, "seed": seeds[0] if len(seeds) == 1 else ",".join(map(str, seeds)), **counts(table)})
    frame = pd.DataFrame(rows)
    frame["commit"] = _commit()
    frame["date"] = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")
    if args.note:
        frame["note"] = args.note
    print(frame.to_string(index=False))
    if args.csv:
        frame.to_csv(args.csv, index=False)
        print(f"written {args.csv}")
    return EXIT_CONTRADICTED if (frame[FAILED] > 0).any() else EXIT_OK


def clear_command(args: argparse.Namespace) -> int:
    import nbformat

    for path in args.notebooks:
        try:
            nb = nbformat.read(path, as_version=4)
        except (OSError, ValueError) as err:
            print(f"error: cannot read notebook {path}: {err}", file=sys.stderr)
            return EXIT_UNREADABLE
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, path)
        print(f"cleared {path}")
    return EXIT_OK


def store_command(args: argparse.Namespace) -> int:
    from mad.store import Store, default_store

    store = Store(args.store) if args.store else default_store()
    if store is None:
        print("error: no result store: pass --store DIR or set MAD_STORE to a folder", file=sys.stderr)
        return EXIT_UNREADABLE
    entries = store.entries()
    current = entries[entries.current]
    print(
        f"{store.root}: {len(entries)} entries, {entries.bytes.sum() / 1e6:.1f} MB; written by the present mad code: {len(current)} ({current.bytes.sum() / 1e6:.1f} MB)"
    )
    if args.prune or args.dry_run:
        removed, size = store.prune(dry_run=args.dry_run)
        print(f"{'would remove' if args.dry_run else 'removed'} {removed} stale entries, {size / 1e6:.1f} MB")
    return EXIT_OK


def _commit() -> str:
    """The git commit of the working tree (with ``+dirty`` if it has changes), or ``unknown``."""
    import subprocess

    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+dirty" if dirty.strip() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mad", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    claims = sub.add_parser("claims", help="print the claims scorecard of a built book")
    claims.add_argument("build_dir", nargs="?", default="_build", help="the book's build folder (default: _build)")
    claims.add_argument("--list", action="store_true", help="list every claim and exit")
    claims.add_argument("--strict", action="store_true", help="also fail (exit 1) when an asserted part is inconclusive")
    seeds = sub.add_parser("seeds", help="scorecard counts of several builds (one per MAD_SEED)")
    seeds.add_argument("build_dirs", nargs="+", help="build folders, one per seed")
    seeds.add_argument("--csv", help="also write the counts to this CSV file")
    seeds.add_argument("--note", help="a note stored with every row (for example how the builds were made)")
    clear = sub.add_parser("clear", help="remove outputs and execution counts from notebooks")
    clear.add_argument("notebooks", nargs="+", help="notebook files")
    sweep = sub.add_parser("sweep", help="run or resume a sweep spec (TOML/YAML) into the result store")
    sweep.add_argument("spec", help="the sweep spec (.toml, .yaml or .yml)")
    sweep.add_argument("--store", help="result store folder (default: MAD_STORE or .mad_store/)")
    sweep.add_argument(
        "--executor",
        choices=("serial", "threads", "processes", "spawn", "dask"),
        help="where tasks run (default: the spec, MAD_EXECUTOR, processes)",
    )
    sweep.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (default: the spec or MAD_DASK_SCHEDULER)")
    sweep.add_argument("--workers", type=int, help="worker count (local executors and a local Dask cluster)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument("--device", help="run the model on this torch device (cpu, cuda): overrides the spec's model.device")
    results = sub.add_parser("results", help="print or export a sweep's results from the result store")
    results.add_argument("spec", help="the sweep spec (.toml, .yaml or .yml)")
    results.add_argument("--store", help="result store folder (default: MAD_STORE or .mad_store/)")
    results.add_argument("--tidy", action="store_true", help="print the tidy table (one row per seed, generation, metric)")
    results.add_argument("--out", help="write the tidy table to this .csv or .parquet file instead of printing")
    results.add_argument("--rows", type=int, default=60, help="rows to print at most (default 60)")
    results.add_argument("--device", help="the --device the sweep ran with (part of each task's key)")
    store = sub.add_parser("store", help="size of the result store; --prune deletes entries of older mad code")
    store.add_argument("--store", help="result store folder (default: MAD_STORE or .mad_store/)")
    store.add_argument("--prune", action="store_true", help="delete the entries written by older mad code (never read again)")
    store.add_argument("--dry-run", action="store_true", help="with --prune: only say what would be deleted")
    args = parser.parse_args(argv)
    if args.command in ("sweep", "results"):
        from mad.sweep import results_command, sweep_command

        return sweep_command(args) if args.command == "sweep" else results_command(args)
    if args.command == "claims":
        return claims_command(args)
    if args.command == "clear":
        return clear_command(args)
    if args.command == "store":
        return store_command(args)
    return seeds_command(args)


if __name__ == "__main__":
    sys.exit(main())
