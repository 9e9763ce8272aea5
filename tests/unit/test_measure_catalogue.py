"""The catalogue of measure names is the set of names the measure modules define."""

import importlib
import pkgutil

import daeval.metrics
from daeval.metrics.catalogue import MEASURE_NAMES

NAME_CONSTANTS = ("MEASURE", "FUNNEL", "DROPOUT", "KM_MEASURE", "MEDIAN_MEASURE", "RELIABLE",
                  "CLINICAL")  # fmt: skip


def test_catalogue_lists_every_measure_module_name_once():
    defined = set()
    for info in pkgutil.iter_modules(daeval.metrics.__path__):
        module = importlib.import_module(f"daeval.metrics.{info.name}")
        defined |= {
            getattr(module, c) for c in NAME_CONSTANTS if isinstance(getattr(module, c, None), str)
        }
    assert len(MEASURE_NAMES) == len(set(MEASURE_NAMES))
    assert set(MEASURE_NAMES) == defined
