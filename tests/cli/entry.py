"""Run the ``gramabm`` console script in-process, as a user's shell would."""

from __future__ import annotations

import sys

import pytest

from gramabm.cli import main


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str):  # type: ignore[no-untyped-def]
    """Run the entry point with ``args``; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["gramabm", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
