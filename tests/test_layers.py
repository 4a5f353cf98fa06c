"""The layering of the README's design section: import-linter's contracts, and no package imports another back."""
import itertools
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "auth", "aws", "db", "domain", "jobs", "notifications", "portal", "reports", "workflow")


def test_the_import_contracts_are_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True) == 0


def test_no_two_packages_import_each_other():
    graph = grimp.build_graph(*PACKAGES)
    both_ways = [
        (first, second)
        for first, second in itertools.combinations(PACKAGES, 2)
        if graph.direct_import_exists(importer=first, imported=second, as_packages=True)
        and graph.direct_import_exists(importer=second, imported=first, as_packages=True)
    ]
    assert both_ways == []
