"""The file cache's writes once it is full: cachelib's own against the app's (data/cache.py).

    .venv/bin/python bench/bench_cache.py [--entries 20000] [--writes 20]

Fills a cache of `--entries` entries of 4 KB (its threshold) in a temporary folder, then times
`--writes` more writes. Once full, cachelib's FileSystemCache reads every file of its folder on every
write; PrunedFileSystemCache prunes to 80 % in one pass, so one write in a few thousand pays for it.
"""
from __future__ import annotations

import argparse
import tempfile
import time

from common import ms, percentiles


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--writes", type=int, default=20)
    args = parser.parse_args()

    from flask_caching.backends.filesystemcache import FileSystemCache

    from data.cache import PrunedFileSystemCache

    payload = b"x" * 4000
    for kind in (FileSystemCache, PrunedFileSystemCache):
        with tempfile.TemporaryDirectory() as folder:
            cache = kind(folder, threshold=args.entries, default_timeout=3600)
            for number in range(args.entries):
                cache.set(f"entry {number}", payload)
            seconds = []
            for number in range(args.writes):
                started = time.perf_counter()
                cache.set(f"new {number}", payload)
                seconds.append(time.perf_counter() - started)
            p50, p95 = percentiles(seconds)
            print(f"{kind.__name__:24} a write to a full cache of {args.entries:,}: p50 {ms(p50)}  p95 {ms(p95)}"
                  f"  max {ms(max(seconds))}")


if __name__ == "__main__":
    main()
