"""``bench/instructions.py`` sums callgrind's per-function counts by place; the sums are the
figures it prints, so the classification is checked on lines callgrind_annotate wrote."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from instructions import OTHER, by_place

ANNOTATED = """\
--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
9,985,191,209 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir                      file:function
--------------------------------------------------------------------------------
2,232,088,176 (22.35%)  ???:rsaz_1024_sqr_avx2 [/v/cryptography/hazmat/bindings/_rust.abi3.so]
  652,896,924 ( 6.54%)  /b/Python-3.11.7/Python/ceval.c:_PyEval_EvalFrame [/l/libpython3.11.so]
  209,545,530 ( 2.10%)  ???:bn_sqr8x_internal [/v/cryptography/hazmat/bindings/_rust.abi3.so]
   75,000,000 ( 0.75%)  ???:sqlite3VdbeExec [/usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6]
   50,000,000 ( 0.50%)  ./string/memmove-vec-unaligned-erms.S:__memcpy_avx [/lib/libc.so.6]
"""


def test_counts_are_summed_by_place_with_the_total() -> None:
    assert by_place(ANNOTATED) == {
        "total": 9_985_191_209,
        "RSA (OpenSSL big numbers)": 2_232_088_176 + 209_545_530,
        "CPython": 652_896_924,
        "SQLite": 75_000_000,
        OTHER: 50_000_000,
    }


def test_nothing_counted_from_an_empty_annotation() -> None:
    assert by_place("") == {"RSA (OpenSSL big numbers)": 0, "SQLite": 0, "CPython": 0,
                            OTHER: 0}
