"""Gold shock scenarios: seeded generators of gold price paths plus timed non-gold events."""

from gramabm.scenarios.base import (
    Event,
    Scenario,
    ScenarioPath,
    fix_mask,
    make_rng,
    step_timestamps,
)
from gramabm.scenarios.bootstrap import stationary_bootstrap
from gramabm.scenarios.catalogue import (
    REGISTRY,
    STANDARD_SET,
    available_scenarios,
    describe,
    get_scenario,
    standard_set,
)
from gramabm.scenarios.events import EVENT_KINDS
from gramabm.scenarios.garch import GarchFit, fit_garch, simulate_garch
from gramabm.scenarios.garch_moments import MomentTargets, YearFacts, fit_garch_moments, year_facts
from gramabm.scenarios.intraday import hourly_path_from_daily
from gramabm.scenarios.jumps import JumpDiffusionParams, fit_jump_diffusion, simulate_jump_diffusion
from gramabm.scenarios.replay import EPISODES, Episode, Replay
from gramabm.scenarios.report import plot_path, plot_paths, summarise_path, summary_table
from gramabm.scenarios.shaped import Drop, ShapedShock, SlowBear, VShape, parse_severity
from gramabm.scenarios.stochastic import Bootstrap, GarchT, JumpDiffusion, calm_returns

__all__ = [
    "EPISODES",
    "EVENT_KINDS",
    "REGISTRY",
    "STANDARD_SET",
    "Bootstrap",
    "Drop",
    "Episode",
    "Event",
    "GarchFit",
    "GarchT",
    "JumpDiffusion",
    "JumpDiffusionParams",
    "MomentTargets",
    "Replay",
    "Scenario",
    "ScenarioPath",
    "ShapedShock",
    "SlowBear",
    "VShape",
    "YearFacts",
    "available_scenarios",
    "calm_returns",
    "describe",
    "fit_garch",
    "fit_garch_moments",
    "fit_jump_diffusion",
    "fix_mask",
    "get_scenario",
    "hourly_path_from_daily",
    "make_rng",
    "parse_severity",
    "plot_path",
    "plot_paths",
    "simulate_garch",
    "simulate_jump_diffusion",
    "standard_set",
    "stationary_bootstrap",
    "step_timestamps",
    "summarise_path",
    "summary_table",
    "year_facts",
]
