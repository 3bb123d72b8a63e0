"""The scenario catalogue: every named scenario, the standard set, and the registry functions.

Names, in four families:

**Standard set** (named as supervisors name theirs). All three start where the data end (last
price, next business day), on hourly steps; the shocked ones fall from step ``shock_step`` = 48,
after two days of calm warm-up, so later work can measure the peg's recovery from a known step.

* ``baseline``: calm markets, no events. A stationary block bootstrap (mean block 20 days) of the
  calm regime's daily log returns: the days whose trailing 21-day realised volatility is at or
  below its median over the history (:func:`gramabm.scenarios.stochastic.calm_returns`).
* ``adverse``: the **1-in-10-year 5-day fall** of the data's tail fit
  (:func:`gramabm.analysis.history.tails.fall_for_return_period` with ``years=10, horizon_days=5``), spread
  evenly over five business days (120 open hourly steps) inside calm noise at the calm regime's
  volatility (:func:`~gramabm.scenarios.stochastic.calm_volatility`), then flat with that noise.
  Events: ``mm_withdrawal`` one business day into the fall (24 open hours after ``shock_step``),
  ``{"steps": 48}``: the market makers pull their quotes for two days.
* ``severely_adverse``: the **1-in-100-year 5-day fall** of the tail fit, shaped and timed as in
  ``adverse``. Events: the market makers leave earlier and for longer, and custody and the oracle
  fail: ``mm_withdrawal`` 12 open hours into the fall ``{"steps": 120}`` (five days);
  ``custodian_freeze`` one business day in ``{"custodian": 0, "hours": 120}`` (the first custodian
  stops processing redemptions for five days); ``oracle_outage`` 36 open hours in ``{"steps": 6}``
  (the reference price goes stale for six hours in the middle of the fall, while the gold market
  is open).

Event parameters use the keys the model reads (``gramabm.model`` applies them): ``steps``
counts model steps at the chosen ``step_hours`` (the hours above are converted), ``hours`` is
wall-clock hours.

**Stochastic**: ``garch_t``, ``bootstrap``, ``jump_diffusion`` (:mod:`gramabm.scenarios.stochastic`),
fitted on the data (fits cached per source).

**Shaped** (reverse stress tests): ``drop``, ``v_shape``, ``slow_bear``
(:mod:`gramabm.scenarios.shaped`) with ``severity`` as a fraction (``0.2``), a percentage
(``"20%"``) or a return period of the tail fit (``"1-in-100y-5d"``: the 5-business-day fall seen
once in 100 years). Example: ``get_scenario("drop", severity="1-in-100y-5d")``.

**Replays** of the dated episodes of docs/model.md D5 (:data:`gramabm.scenarios.replay.EPISODES`):
``replay_jan_1980``, ``replay_feb_1983``, ``replay_2008``, ``replay_sep_2011``, ``replay_apr_2013``,
``replay_2011_2015``, ``replay_mar_2020``, ``replay_2022``, ``replay_oct_2025``; usable when the
data cover their window (the built-in 1977-12-30..2012-12-31 series holds the first four), and
``replay:YYYY-MM-DD:YYYY-MM-DD`` for any range a user names.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError
from gramabm.scenarios.base import Event, Scenario, ScenarioPath, check_step_hours
from gramabm.scenarios.replay import EPISODES, Episode, Replay, covers, data_range_text
from gramabm.scenarios.shaped import Drop, ShapedShock, SlowBear, VShape
from gramabm.scenarios.stochastic import Bootstrap, GarchT, JumpDiffusion, calm_volatility

STANDARD_SET: tuple[str, ...] = ("baseline", "adverse", "severely_adverse")

GRAM_SET: tuple[str, ...] = ("xaut_discount", "wrapper_freeze")
"""The two-tier shocks a stress test of the ``gram`` preset adds to the standard set."""
"""The supervisory-style standard scenarios, mildest first."""

SHOCK_STEP = 48
"""Model step at which the standard shocks begin (two days of hourly calm warm-up)."""

_USER_REPLAY = re.compile(r"^replay:(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Entry:
    """One catalogue entry.

    Args:
        name: Registry name.
        family: ``"standard"``, ``"gram"`` (two-tier shocks), ``"stochastic"``, ``"shaped"`` or
            ``"replay"``.
        description: One line for listings.
        factory: ``factory(prices, **params) -> Scenario``.
        params: Keyword parameters the factory accepts (checked before it is called).
        episode: The dated episode, for replays.
    """

    name: str
    family: str
    description: str
    factory: Callable[..., Scenario]
    params: tuple[str, ...]
    episode: Episode | None = None

    def available_on(self, prices: pd.Series) -> bool:
        """Whether the scenario can be built on these data (replays need their window)."""
        return self.episode is None or covers(prices, self.episode.start, self.episode.end)


def _keywords(*classes: type) -> tuple[str, ...]:
    """Keyword parameters of the classes' ``__init__`` (and their bases'), minus data and name."""
    names: list[str] = []
    for cls in classes:
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            for p in inspect.signature(init).parameters.values():
                if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name in ("self", "prices"):
                    continue
                if p.name not in names and p.name != "name":
                    names.append(p.name)
    return tuple(names)


# --- standard set ---------------------------------------------------------------------------
def _steps(hours: float, step_hours: float) -> int:
    return max(1, round(hours / step_hours))


def _baseline(prices: pd.Series, **params: Any) -> Scenario:
    scenario = Bootstrap(prices, regime="calm", name="baseline", **params)
    scenario.description = _DESCRIPTIONS["baseline"]
    return scenario


def _standard_shock(
    name: str, return_period: str, events_hours: list[tuple[float, str, dict[str, Any]]]
) -> Callable[..., Scenario]:
    def build(prices: pd.Series, **params: Any) -> Scenario:
        step_hours = check_step_hours(params.get("step_hours", 1.0))
        params.setdefault("severity", return_period)
        params.setdefault("shock_step", _steps(SHOCK_STEP, step_hours))
        if params.get("vol") is None:
            params["vol"] = calm_volatility(prices)
        if "events" not in params:
            params["events"] = [
                (
                    _steps(at, step_hours),
                    kind,
                    {k: _steps(v, step_hours) if k == "steps" else v for k, v in detail.items()},
                )
                for at, kind, detail in events_hours
            ]
        scenario = Drop(prices=prices, name=name, **params)
        scenario.description = f"{_DESCRIPTIONS[name]}: {scenario.description}"
        return scenario

    return build


_DESCRIPTIONS = {
    "xaut_discount": (
        "two tiers (preset gram): calm gold; a distressed seller sells 50,000 oz of XAUT on its "
        "book down to 2% below gold for 48 h"
    ),
    "wrapper_freeze": (
        "two tiers (preset gram): calm gold; XAUT's issuer freezes the GRAM contract's XAUT for "
        "good, gas at 10x for a day, liquidity providers pull half their liquidity"
    ),
    "baseline": "calm: block bootstrap of the calm-regime daily returns, no events",
    "adverse": "1-in-10-year 5-day fall of the tail fit, market makers withdraw",
    "severely_adverse": (
        "1-in-100-year 5-day fall of the tail fit, market makers withdraw, "
        "custodian freeze, oracle outage"
    ),
}


class _CalmWithEvents(Scenario):
    """Calm gold (the baseline's bootstrap) with timed non-gold events: a shock to the tiers alone.

    The events are parsed when the scenario is built, so a misspelt one is refused at once.
    """

    def __init__(
        self,
        prices: pd.Series,
        name: str,
        description: str,
        events: list[tuple[int, str, dict[str, Any]]],
        **params: Any,
    ) -> None:
        self.inner = _baseline(prices, **params)
        self.name = name
        self.description = description
        self.events = tuple(Event(step, kind, dict(p)) for step, kind, p in events)

    def generate(self, n_steps: int, seed: int | np.random.Generator | None = None) -> ScenarioPath:
        """The calm path with the events attached."""
        path = self.inner.generate(n_steps, seed)
        return replace(path, name=self.name, events=path.events + self.events)


def _gram_shock(
    name: str, events_hours: list[tuple[float, str, dict[str, Any]]]
) -> Callable[..., Scenario]:
    def build(prices: pd.Series, **params: Any) -> Scenario:
        step_hours = check_step_hours(params.get("step_hours", 1.0))
        events = params.pop("events", None)
        if events is None:
            events = [
                (
                    _steps(at, step_hours),
                    kind,
                    {
                        k: _steps(v, step_hours) if k in ("steps", "halt_steps") and v else v
                        for k, v in detail.items()
                    },
                )
                for at, kind, detail in events_hours
            ]
        return _CalmWithEvents(prices, name, _DESCRIPTIONS[name], events, **params)

    return build


_XAUT_DISCOUNT_EVENTS: list[tuple[float, str, dict[str, Any]]] = [
    (48.0, "xaut_sell_pressure", {"discount": 0.02, "steps": 48.0, "oz": 50_000.0}),
]
_WRAPPER_FREEZE_EVENTS: list[tuple[float, str, dict[str, Any]]] = [
    (48.0, "wrapper_freeze", {"steps": 0}),
    (48.0, "gas_spike", {"multiple": 10.0, "steps": 24.0}),
    (60.0, "lp_exit", {"share": 0.5}),
]

_ADVERSE_EVENTS = [(24.0, "mm_withdrawal", {"steps": 48.0})]
_SEVERE_EVENTS = [
    (12.0, "mm_withdrawal", {"steps": 120.0}),
    (24.0, "custodian_freeze", {"custodian": 0, "hours": 120.0}),
    (36.0, "oracle_outage", {"steps": 6.0}),
]


def _replay_factory(episode: Episode) -> Callable[..., Scenario]:
    def build(prices: pd.Series, **params: Any) -> Scenario:
        if not covers(prices, episode.start, episode.end):
            raise ConfigError(
                f"{episode.scenario_name} ({episode.title}) needs data from {episode.start} to "
                f"{episode.end}, but {data_range_text(prices)}"
            )
        return Replay(
            prices,
            episode.start,
            episode.end,
            name=episode.scenario_name,
            description=f"{episode.title}: {episode.summary}",
            **params,
        )

    return build


def _build_registry() -> dict[str, Entry]:
    shaped_params = _keywords(ShapedShock)
    entries = [
        Entry(
            "baseline",
            "standard",
            _DESCRIPTIONS["baseline"],
            _baseline,
            tuple(p for p in _keywords(Bootstrap) if p != "regime"),  # the calm regime is the point
        ),
        Entry(
            "adverse",
            "standard",
            _DESCRIPTIONS["adverse"],
            _standard_shock("adverse", "1-in-10y-5d", _ADVERSE_EVENTS),
            shaped_params,
        ),
        Entry(
            "severely_adverse",
            "standard",
            _DESCRIPTIONS["severely_adverse"],
            _standard_shock("severely_adverse", "1-in-100y-5d", _SEVERE_EVENTS),
            shaped_params,
        ),
        Entry(
            "xaut_discount",
            "gram",
            _DESCRIPTIONS["xaut_discount"],
            _gram_shock("xaut_discount", _XAUT_DISCOUNT_EVENTS),
            (*(p for p in _keywords(Bootstrap) if p != "regime"), "events"),
        ),
        Entry(
            "wrapper_freeze",
            "gram",
            _DESCRIPTIONS["wrapper_freeze"],
            _gram_shock("wrapper_freeze", _WRAPPER_FREEZE_EVENTS),
            (*(p for p in _keywords(Bootstrap) if p != "regime"), "events"),
        ),
        Entry(
            "garch_t",
            "stochastic",
            "GJR-GARCH(1,1)-t fitted on the data (method: moments or mle), one simulated path",
            GarchT,
            _keywords(GarchT),
        ),
        Entry(
            "bootstrap",
            "stochastic",
            "stationary block bootstrap of the historical daily returns",
            Bootstrap,
            _keywords(Bootstrap),
        ),
        Entry(
            "jump_diffusion",
            "stochastic",
            "Merton jump diffusion fitted on the data, one simulated path",
            JumpDiffusion,
            _keywords(JumpDiffusion),
        ),
        Entry(
            "drop",
            "shaped",
            "fall of `severity` (0.1, '10%' or '1-in-100y-5d'; default 10%) over one day, then flat",
            lambda prices, **p: Drop(prices=prices, **p),
            shaped_params,
        ),
        Entry(
            "v_shape",
            "shaped",
            "fall of `severity` (default 14%) over 5 days, full recovery over 10",
            lambda prices, **p: VShape(prices=prices, **p),
            shaped_params,
        ),
        Entry(
            "slow_bear",
            "shaped",
            "fall of `severity` (default 20%) over `duration_days` (default 130) business days",
            lambda prices, **p: SlowBear(prices=prices, **p),
            _keywords(SlowBear, ShapedShock),
        ),
    ]
    entries += [
        Entry(
            ep.scenario_name,
            "replay",
            f"{ep.title} ({ep.start} to {ep.end}): {ep.summary}",
            _replay_factory(ep),
            _keywords(Replay),
            episode=ep,
        )
        for ep in EPISODES
    ]
    return {e.name: e for e in entries}


REGISTRY: dict[str, Entry] = _build_registry()
"""Every named scenario, in listing order."""


def default_prices() -> pd.Series:
    """The data used when none are given: the built-in history."""
    from gramabm.data.loaders import load_builtin

    return load_builtin()


def available_scenarios(prices: pd.Series | None = None) -> list[str]:
    """Names of the catalogue's scenarios.

    Args:
        prices: If given, list only what these data support (replays whose window they cover);
            if None, every name the kit knows.

    Returns:
        Names in listing order (standard, stochastic, shaped, replays). Any
        ``replay:YYYY-MM-DD:YYYY-MM-DD`` inside the data is also accepted by :func:`get_scenario`.
    """
    if prices is None:
        return list(REGISTRY)
    return [name for name, entry in REGISTRY.items() if entry.available_on(prices)]


def get_scenario(name: str, prices: pd.Series | None = None, **params: Any) -> Scenario:
    """Build a scenario by name.

    Args:
        name: A catalogue name (see :func:`available_scenarios`) or ``replay:YYYY-MM-DD:YYYY-MM-DD``.
        prices: Historical prices to fit, anchor and replay on; default the built-in history.
        **params: The scenario's parameters (e.g. ``severity="1-in-100y-5d"``, ``shock_step=24``).

    Returns:
        The scenario, ready to :meth:`~gramabm.scenarios.base.Scenario.generate`.

    Raises:
        ConfigError: Unknown name (the message lists the valid ones), unknown parameter, impossible
            parameter value (the message names it), or a replay outside the data (the message
            names the data range).
    """
    user = _USER_REPLAY.match(name.strip())
    if user is None and name not in REGISTRY:
        raise ConfigError(
            f"unknown scenario {name!r}; valid names: {', '.join(REGISTRY)}, "
            f"or replay:YYYY-MM-DD:YYYY-MM-DD"
        )
    if prices is None:
        prices = default_prices()
    if user is not None:
        accepted = _keywords(Replay)
        _check_params(name, params, accepted)
        try:
            start, end = pd.Timestamp(user.group(1)), pd.Timestamp(user.group(2))
        except ValueError as exc:
            raise ConfigError(f"scenario {name!r}: not a valid date range ({exc})") from exc
        return Replay(prices, start, end, **params)
    entry = REGISTRY[name]
    _check_params(name, params, entry.params)
    return entry.factory(prices, **params)


def _check_params(name: str, params: dict[str, Any], accepted: tuple[str, ...]) -> None:
    unknown = [p for p in params if p not in accepted]
    if unknown:
        raise ConfigError(
            f"scenario {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters: {', '.join(accepted)}"
        )


def standard_set(prices: pd.Series | None = None, *, replays: bool = True) -> list[str]:
    """The standard scenarios, plus (if ``replays``) the episode replays the data cover."""
    names = list(STANDARD_SET)
    if replays:
        data = default_prices() if prices is None else prices
        names += [n for n, e in REGISTRY.items() if e.family == "replay" and e.available_on(data)]
    return names


def describe(prices: pd.Series | None = None) -> list[tuple[str, str, str, bool]]:
    """``(name, family, description, available)`` for every entry; availability on ``prices``."""
    return [
        (e.name, e.family, e.description, True if prices is None else e.available_on(prices))
        for e in REGISTRY.values()
    ]
