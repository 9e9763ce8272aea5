"""The catalogue of measure names is the set of names the measure modules define."""

import importlib
import pkgutil

import daeval.metrics
from daeval.metrics.catalogue import MEASURE_NAMES, SPECS

NAME_CONSTANTS = ("MEASURE", "FUNNEL", "DROPOUT", "KM_MEASURE", "MEDIAN_MEASURE", "RELIABLE", "PER_MONTH",
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


def test_each_measure_has_the_module_whose_docstring_specifies_it():
    assert set(SPECS) == set(MEASURE_NAMES)
    for name, module in SPECS.items():
        doc = importlib.import_module(f"daeval.metrics.{module}").__doc__ or ""
        assert name in doc.split("\n", 1)[0], (name, module)
