"""Zero-shot learning with attributes: the tight worst-case lower bound (Mazzetto et al., 2022).

Public API: :func:`worst_case_lower_bound` (``.Q``, ``.error_lower_bound``,
``.randomized_map``, ``.adversary``), :func:`worst_case_accuracy` (tightness),
:func:`greedy_attribute_selection`, :func:`awa_like_matrix`,
:func:`load_class_attribute_matrix`, :func:`load_benchmark` (the real AwA2 / CUB / SUN / aPY
class-attribute matrices and their proposed unseen splits), :func:`benchmark_interval` (the
certified bound on them at full size), :func:`class_subset_comparison`, the decision-tree lower
bounds :func:`tree_lower_bound`, :func:`tree_dual_bound` and :func:`grow_partition_tree` (on a
:class:`PartitionTree`), and the baselines in
:mod:`analysis.zsl.baselines`.
"""

from analysis.zsl.baselines import dap_predict, evaluate_baselines, fit_eszsl, sample_natural
from analysis.zsl.benchmarks import BENCHMARKS, benchmark_provenance, load_benchmark
from analysis.zsl.bound import (
    METHODS,
    AdversarialJoint,
    GreedyPath,
    LowerBoundResult,
    RandomizedMap,
    greedy_attribute_selection,
    worst_case_accuracy,
    worst_case_lower_bound,
)
from analysis.zsl.data import (
    awa_like_matrix,
    load_class_attribute_matrix,
    validate_class_attribute_matrix,
)
from analysis.zsl.explore import explore
from analysis.zsl.partition import (
    PartitionTree,
    TreeCertificate,
    grow_partition_tree,
    tree_dual_bound,
    tree_lower_bound,
)
from analysis.zsl.real import (
    BenchmarkInterval,
    benchmark_interval,
    certified_interval,
    class_subset_comparison,
)

__all__ = [
    "BENCHMARKS",
    "METHODS",
    "AdversarialJoint",
    "BenchmarkInterval",
    "GreedyPath",
    "LowerBoundResult",
    "PartitionTree",
    "RandomizedMap",
    "TreeCertificate",
    "awa_like_matrix",
    "benchmark_interval",
    "benchmark_provenance",
    "certified_interval",
    "class_subset_comparison",
    "dap_predict",
    "evaluate_baselines",
    "explore",
    "fit_eszsl",
    "greedy_attribute_selection",
    "grow_partition_tree",
    "load_benchmark",
    "load_class_attribute_matrix",
    "sample_natural",
    "tree_dual_bound",
    "tree_lower_bound",
    "validate_class_attribute_matrix",
    "worst_case_accuracy",
    "worst_case_lower_bound",
]
