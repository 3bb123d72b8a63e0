"""Server settings, read from ``GRAMABM_*`` environment variables.

Every limit the API enforces lives here, so an operator sets them in one place (the Kubernetes
ConfigMap, a shell) and tests shrink them to exercise the refusals.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from gramabm.errors import ConfigError

ENV_PREFIX = "GRAMABM_"
"""Prefix of every setting's environment variable (``data_dir`` is ``GRAMABM_DATA_DIR``)."""

API_KEY_ENV = "GRAMABM_API_KEY"
"""Environment variable holding the API key; when set, every state-changing call needs it."""


@dataclass(frozen=True)
class Settings:
    """What the server needs to know, with safe defaults.

    Args:
        data_dir: Where the job database, datasets, policies and job files live.
        api_key: Key required (header ``X-API-Key``) on every state-changing call; ``None`` or
            empty disables the check.
        max_body_bytes: Largest request body accepted, counted while it streams in.
        max_upload_bytes: Largest uploaded file (CSV or policy file).
        max_holder_steps: Largest ``holders × steps`` of one simulation.
        max_sweep_runs: Most runs one experiment may expand to.
        max_sweep_holder_steps: Largest ``holders × steps × runs`` of one experiment.
        max_predict_rows: Most states one prediction call may score.
        max_active_jobs: Most jobs queued or running at once (more are refused with 503).
        workers: Worker processes of the local pool.
        dask_address: Address of a Dask scheduler (``tcp://host:8786``); set, jobs run there
            instead of in the local pool.
    """

    data_dir: Path = Path("gramabm-data")
    api_key: str | None = None
    max_body_bytes: int = 25 * 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    max_holder_steps: int = 20_000_000
    max_sweep_runs: int = 1_000
    max_sweep_holder_steps: int = 500_000_000
    max_predict_rows: int = 10_000
    max_active_jobs: int = 64
    workers: int = 2
    dask_address: str | None = None

    def __post_init__(self) -> None:
        # Accept a plain string for the directory (frozen: set through object.__setattr__).
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"setting {f.name} must be a positive integer, got {value!r}")
        if self.max_upload_bytes > self.max_body_bytes:
            raise ConfigError(
                f"setting max_upload_bytes ({self.max_upload_bytes}) exceeds max_body_bytes "
                f"({self.max_body_bytes})"
            )

    @property
    def key_required(self) -> bool:
        """Whether state-changing calls need the API key."""
        return bool(self.api_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``GRAMABM_<FIELD>`` variables (upper case), defaults for the rest.

        Args:
            environ: The variables to read (default: ``os.environ``).

        Raises:
            ConfigError: A variable that is not a valid value for its setting, named.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name = ENV_PREFIX + f.name.upper()
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            text = raw.strip()
            if f.type == "int":
                try:
                    values[f.name] = int(text.replace("_", ""))
                except ValueError as exc:
                    raise ConfigError(f"{name}: expected an integer, got {raw!r}") from exc
            elif f.type == "Path":
                values[f.name] = Path(text).expanduser()
            else:
                values[f.name] = text
        return cls(**values)  # type: ignore[arg-type]
