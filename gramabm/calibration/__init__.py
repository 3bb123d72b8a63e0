"""Calibration by the method of simulated moments, its fit report, and the shipped presets.

* :mod:`gramabm.calibration.moments`: the target table (published token-market facts, with
  tolerances and weights) and the statistics that measure each one on a model run;
* :mod:`gramabm.calibration.objective`: the weighted squared standardised distance between the
  simulated and target moments, several seeds per evaluation, common random numbers;
* :mod:`gramabm.calibration.optimise`: a bounded optimiser with a budget of evaluations;
* :mod:`gramabm.calibration.report`: the fit report (targets beside simulated values, within or
  outside, PNGs, CSV, markdown) with an out-of-sample check on a later period;
* :mod:`gramabm.calibration.presets`: configurations shipped with the package (``calibrated``),
  usable by name: ``gramabm run --config calibrated``.

This package's ``__init__`` imports nothing: :func:`gramabm.config.load_config` reaches
:mod:`~gramabm.calibration.presets` while the configuration module itself is loading.
"""
