"""What may import what: the import-linter contracts in pyproject.toml, and no circles.

The contracts say that each package of manifesto/ imports only the layers below it (the web
and the CLI on top, then demo, reporting and personal data, cities, signatures, access, mail,
core, models, extensions), that the blueprints do not import each other, and that no two
modules of one package import each other in a circle. The layers contract is exhaustive: a
new package or root module must be given a layer.

import-linter's circle contract compares the modules of each package with one another, a
subpackage counting as one: it does not see a module that imports the package it is in.
``test_no_circles_but_the_blueprint_idiom`` looks at every module instead, and allows only
the idiom of Flask's blueprints (microblog's too): the package's ``__init__`` creates ``bp``
and then imports its view modules, which import ``bp`` back.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("manifesto", cache_dir=None)


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo", str(PYPROJECT)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_has_a_layer(graph):
    """The layers contract is exhaustive: import-linter itself fails on a root module or
    package without a layer. This says so in the contract's own words, and that none is
    named twice or is gone."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["id"] == "layers"]
    assert contract["exhaustive"] is True
    placed = [f"manifesto.{name.strip()}" for layer in contract["layers"]
              for name in layer.replace(":", "|").split("|")]
    root_modules = set(graph.find_children("manifesto"))
    assert sorted(root_modules - set(placed)) == [], "give these a layer in pyproject.toml"
    assert sorted(set(placed) - root_modules) == [], "these are gone: remove them"
    assert len(placed) == len(set(placed)), "a module is in two layers"


def _circles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    imports = sorted(graph.find_modules_directly_imported_by(other))
                    work.append((other, iter(imports)))
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        components.append(component)
    return components


def _edges(graph: grimp.ImportGraph, modules: set[str]) -> list[dict]:
    return [
        detail
        for importer in sorted(modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & modules)
        for detail in graph.get_import_details(importer=importer, imported=imported)
    ]


def _is_blueprint_idiom(modules: set[str], edges: list[dict]) -> bool:
    """A package and some of its own modules, tied only by the package importing them and
    them importing ``bp`` from it."""
    packages = [m for m in modules if all(o.rpartition(".")[0] == m for o in modules - {m})]
    if len(packages) != 1:
        return False
    [package] = packages
    for edge in edges:
        if edge["importer"] == package:
            continue
        names = edge["line_contents"].replace(",", " ").split()
        if edge["imported"] != package or "bp" not in names:
            return False
    return True


def _describe(modules: set[str], edges: list[dict]) -> str:
    lines = [f"circle of {len(modules)} modules: {', '.join(sorted(modules))}"]
    for edge in edges:
        lines.append(f"  {edge['importer']} -> {edge['imported']} "
                     f"(l.{edge['line_number']}: {edge['line_contents']})")
    return "\n".join(lines)


def test_no_circles_but_the_blueprint_idiom(graph):
    broken = []
    for modules in _circles(graph):
        edges = _edges(graph, modules)
        if not _is_blueprint_idiom(modules, edges):
            broken.append(_describe(modules, edges))
    assert not broken, "Import circles (break each one at an edge listed):\n" + "\n".join(broken)


def test_the_circle_check_sees_a_circle_and_names_its_edges():
    graph = grimp.ImportGraph()  # a made-up package: one circle, one blueprint
    for module in ("app", "app.a", "app.b", "app.bp_pkg", "app.bp_pkg.views"):
        graph.add_module(module)
    graph.add_import(importer="app.a", imported="app.b", line_number=3,
                     line_contents="from . import b")
    graph.add_import(importer="app.b", imported="app.a", line_number=9,
                     line_contents="from .a import x")
    graph.add_import(importer="app.bp_pkg", imported="app.bp_pkg.views", line_number=5,
                     line_contents="from . import views")
    graph.add_import(importer="app.bp_pkg.views", imported="app.bp_pkg", line_number=2,
                     line_contents="from . import bp")
    circles = _circles(graph)
    assert sorted(map(sorted, circles)) == [["app.a", "app.b"], ["app.bp_pkg", "app.bp_pkg.views"]]
    [bad] = [c for c in circles if not _is_blueprint_idiom(c, _edges(graph, c))]
    assert _describe(bad, _edges(graph, bad)).splitlines() == [
        "circle of 2 modules: app.a, app.b",
        "  app.a -> app.b (l.3: from . import b)",
        "  app.b -> app.a (l.9: from .a import x)",
    ]
