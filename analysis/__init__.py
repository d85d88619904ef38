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

#: Each topic's short prefix: its figure names start with ``<prefix>_`` and its claim ids with
#: ``<prefix>.`` (enforced at registration), so one figure or claim loads only its own topic.
TOPIC_PREFIXES = {
    "neural_collapse": "nc",
    "contrastive": "cl",
    "zsl": "zsl",
    "continual": "cont",
    "representers": "rep",
    "inductive_bias": "ib",
    "implicit_reg": "ir",
}

__all__ = ["TOPICS", "TOPIC_PREFIXES", "__version__"]
