"""The browser view of gramabm: a Solara app served by ``gramabm viz``.

Two pages: a live stress run (:mod:`visualization.app`) and a finished sweep's results
(:mod:`visualization.sweep`).
"""
