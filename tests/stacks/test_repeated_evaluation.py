"""Evaluating a stack leaves the process as it found it, however many times it runs."""

from __future__ import annotations

import pickle

from plan.engine import evaluate
from tests.support.project import REPO


def test_an_evaluation_leaves_pickle_unpatched():
    # The SDK wraps this method once per dynamic resource it serializes and never unwraps it;
    # left alone, a long test run ends in RecursionError when a provider is pickled.
    before = pickle._Pickler._batch_setitems  # noqa: SLF001

    evaluate(REPO, "staging")
    evaluate(REPO, "prod")

    assert pickle._Pickler._batch_setitems is before  # noqa: SLF001
