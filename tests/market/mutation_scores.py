"""Per-module table of the latest ``make mutation`` run (reads mutmut's results in ``mutants/``).

Killed counts mutants a test failed on (a timeout counts as killed: the mutant hung the tests);
survived counts those every test passed with, and those no test ran. Equivalent mutants, which
cannot change behaviour, are marked ``# pragma: no mutate`` in the source (see
``tests/market/EQUIVALENT_MUTANTS.md``), so mutmut never makes them; the table counts them by
mutating each file once more with the marks removed. The score is killed / (killed + survived).

Run from the repository root after ``mutmut run``: ``python tests/market/mutation_scores.py``.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from mutmut.mutation.file_mutation import create_mutations

_KILLED = {1, 3, 24, -24, 36, 152, 255}
_SURVIVED = {0, 5, 33}
_PRAGMA = re.compile(r"\s*# pragma: no mutate\b.*$", re.MULTILINE)


def module_of(path: Path) -> str:
    """The module a file reports under: a package's files count as the package."""
    parts = path.relative_to("gramabm/market").with_suffix("").parts
    return parts[0]


def equivalent(path: Path) -> int:
    """Mutants the ``# pragma: no mutate`` marks of ``path`` suppress."""
    code = path.read_text()
    stripped = _PRAGMA.sub("", code)
    if stripped == code:
        return 0
    marked = len(create_mutations(str(path), code)[1])
    return len(create_mutations(str(path), stripped)[1]) - marked


def main() -> int:
    """Print the table; exit 1 when no results are found."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for meta in sorted(Path("mutants/gramabm/market").rglob("*.py.meta")):
        source = Path(str(meta.relative_to("mutants"))[: -len(".meta")])
        codes = json.loads(meta.read_text())["exit_code_by_key"].values()
        row = rows[module_of(source)]
        row[0] += len(codes)
        row[1] += sum(c in _KILLED for c in codes)
        row[2] += sum(c in _SURVIVED for c in codes)
        row[3] += sum(c is None for c in codes)
        row[4] += equivalent(source)
    if not rows:
        print("no mutmut results under mutants/: run `make mutation` first", file=sys.stderr)
        return 1
    print(
        f"{'module':<12}{'mutants':>9}{'killed':>8}{'survived':>10}{'unchecked':>11}"
        f"{'equivalent':>12}{'score':>8}"
    )
    for name, (n, killed, survived, unchecked, equiv) in sorted(rows.items()):
        if not n:
            continue
        checked = killed + survived
        score = f"{100 * killed / checked:.1f}%" if checked else "-"
        print(f"{name:<12}{n:>9}{killed:>8}{survived:>10}{unchecked:>11}{equiv:>12}{score:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
