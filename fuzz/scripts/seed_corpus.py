#!/usr/bin/env python3
"""Writes each search of security_content_searches.ndjson as one seed file of the fuzz corpus.

Usage: seed_corpus.py SEARCHES.ndjson CORPUS_DIR
"""
import hashlib
import json
import pathlib
import sys


def main() -> int:
    src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    dst.mkdir(parents=True, exist_ok=True)
    n = 0
    for line in src.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        search = json.loads(line).get("search") or ""
        data = search.encode("utf-8")
        (dst / hashlib.sha1(data).hexdigest()).write_bytes(data)
        n += 1
    print(f"{n} seed searches in {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
