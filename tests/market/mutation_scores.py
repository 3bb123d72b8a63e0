"""Per-module table of the latest ``make mutation`` run (reads mutmut's results in ``mutants/``).

Killed counts mutants a test failed on (a timeout counts as killed: the mutant hung the tests);
survived counts those every test passed with, and those no test ran. Equivalent mutants, which
cannot change behaviour, are counted apart (see ``tests/market/EQUIVALENT_MUTANTS.md``): those on
lines marked ``# pragma: no mutate``, which mutmut never makes (counted by mutating each file once
more with the marks removed), and the survivors whose change is listed in the file's second table
(matched by file, function and the changed line before and after, so they stay matched when the
mutants are renumbered). The score is killed / (killed + survived).

Run from the repository root after ``mutmut run``: ``python tests/market/mutation_scores.py``
(``--survivors`` also lists each survivor and its change).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.mutation.file_mutation import create_mutations

_KILLED = {1, 3, 24, -24, 36, 152, 255}
_SURVIVED = {0, 5, 33}
_PRAGMA = re.compile(r"\s*# pragma: no mutate\b.*$", re.MULTILINE)
_LISTED = Path(__file__).with_name("EQUIVALENT_MUTANTS.md")
_CELL = re.compile(r"(?<!\\)\|")


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


def listed_changes() -> set[tuple[str, str, str, str]]:
    """``(file, function, before, after)`` of each row of the unmarked equivalents' table."""
    rows = set()
    for line in _LISTED.read_text().splitlines():
        cells = [c.strip().strip("`").replace("\\|", "|") for c in _CELL.split(line)[1:-1]]
        if len(cells) == 5 and cells[0].endswith(".py") and cells[2] != "Before":
            rows.add((cells[0], cells[1], cells[2], cells[3]))
    return rows


def change_of(name: str, source: Path) -> tuple[str, str, str, str]:
    """``(file, function, before, after)`` of a mutant: the lines its diff removes and adds."""
    diff = get_diff_for_mutant(name, path=str(source)).splitlines()
    before = " ".join(x[1:].strip() for x in diff if x.startswith("-") and not x.startswith("---"))
    after = " ".join(x[1:].strip() for x in diff if x.startswith("+") and not x.startswith("+++"))
    function = re.split(r"[ǁ.]", name.rsplit("__mutmut_", 1)[0])[-1].removeprefix("x_")
    return str(source.relative_to("gramabm/market")), function, before, after


def main() -> int:
    """Print the table; exit 1 when no results are found."""
    show = "--survivors" in sys.argv[1:]
    listed = listed_changes()
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for meta in sorted(Path("mutants/gramabm/market").rglob("*.py.meta")):
        source = Path(str(meta.relative_to("mutants"))[: -len(".meta")])
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        row = rows[module_of(source)]
        row[4] += equivalent(source)
        for name, code in codes.items():
            row[0] += 1
            if code in _KILLED:
                row[1] += 1
            elif code is None:
                row[3] += 1
            elif code in _SURVIVED:
                change = change_of(name, source)
                if change in listed:
                    row[4] += 1
                    row[0] -= 1  # counted with the pragma-marked ones, outside the score
                else:
                    row[2] += 1
                    if show:
                        print(f"{name}: {change[2]}  ->  {change[3]}")
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
