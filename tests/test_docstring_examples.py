"""Every public function of a topic carries an Examples section whose doctest runs and passes.

The examples are part of the documentation (the API pages of ``make site`` show them), so they
must stay true: each one is executed here. Outputs that depend on floating point are printed
rounded or as booleans, so the examples pass on any BLAS kernel and thread count.

While a topic's examples are being written the topic is skipped (no public function has an
Examples section yet); once one has, all must.
"""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

from analysis import TOPICS


def _public_callables(topic: str) -> dict[str, object]:
    module = importlib.import_module(f"analysis.{topic}")
    return {name: getattr(module, name) for name in module.__all__
            if callable(getattr(module, name)) and not inspect.ismodule(getattr(module, name))}


def _has_examples(obj: object) -> bool:
    doc = inspect.getdoc(obj) or ""
    return "\nExamples\n--------" in "\n" + doc and ">>>" in doc


@pytest.mark.parametrize("topic", TOPICS)
def test_every_public_function_has_a_running_example(topic):
    public = _public_callables(topic)
    with_examples = [n for n, obj in public.items() if _has_examples(obj)]
    if not with_examples:
        pytest.skip(f"{topic}: no Examples sections yet")
    missing = sorted(set(public) - set(with_examples))
    assert not missing, f"{topic}: public functions without an Examples doctest: {missing}"

    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures = []
    for name, obj in public.items():
        globs = {"np": importlib.import_module("numpy")}
        for test in finder.find(obj, name, globs=globs):
            result = runner.run(test, out=lambda text: failures.append(text))
            assert result.attempted > 0, f"{topic}.{name}: the Examples section has no example"
    assert not failures, f"{topic}: failing examples:\n" + "".join(failures)[:6000]
