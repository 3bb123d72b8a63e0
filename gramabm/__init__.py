"""gramabm: agent-based stress tests of Gram, a gold-backed stablecoin.

The package is layered; imports only point down a floor (see README "Architecture"):
data / market / analysis (ground) -> policies / scenarios -> agents -> model -> experiments -> faces.
Importing the top-level package stays cheap so the CLI answers fast.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
