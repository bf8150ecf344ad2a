"""Command line of the loader: python -m data.load FILE --table TABLE [--url DB] [--sheet NAME] [--dry-run]

Prints the load report; exits 0 when the file was loaded (or would be, with --dry-run) and 1 when
it was rejected, in which case nothing was written.
"""
from __future__ import annotations

import argparse
import sys

from data.loader import LOADABLE_TABLES, load_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data.load",
        description="Validate a CSV, XLSX or Parquet file and load it into one topic table, all or nothing.")
    parser.add_argument("file", help="the file to load (.csv, .xlsx or .parquet)")
    parser.add_argument("--table", required=True, choices=LOADABLE_TABLES, metavar="TABLE",
                        help=f"the topic table: {', '.join(LOADABLE_TABLES)}")
    parser.add_argument("--url", help="database URL (default: the configured database)")
    parser.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
    parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    args = parser.parse_args(argv)
    report = load_file(args.file, args.table, args.url, sheet=args.sheet, dry_run=args.dry_run)
    print(report.format())
    if report.ok and report.rows_written and not args.dry_run:
        from data.alerts import evaluate_warnings

        evaluate_warnings(args.url)  # new values may raise or clear warnings
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
