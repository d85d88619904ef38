"""ML theory workbench: reproduce, verify and plot theoretical results of machine learning.

Topics live in sub-packages (``analysis.neural_collapse``, ``analysis.contrastive``, ...);
shared machinery in :mod:`analysis._core`. ``python -m analysis --help`` lists the commands.
"""

__version__ = "0.1.0"

#: Topic packages, in the order the README and the CLI present them.
TOPICS = (
    "neural_collapse",
    "contrastive",
    "zsl",
    "continual",
    "representers",
    "inductive_bias",
    "implicit_reg",
)

__all__ = ["TOPICS", "__version__"]
