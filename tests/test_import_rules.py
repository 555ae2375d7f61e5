"""Imports run strictly downward between the packages, as each package's docstring says."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "techreg"
# modules every package may use: settings, the domain error types, the words shown to people
SHARED = {"config", "errors", "labels", "__version__", "__init__"}
MAY_IMPORT = {
    "db": set(),
    "registry": {"db"},
    "detection": {"registry", "db"},
    "audit": {"detection", "registry", "db"},
    "scheduling": {"audit", "detection", "registry", "db"},
    "web": {"scheduling", "audit", "detection", "registry", "db"},
    "cli": {"web", "scheduling", "audit", "detection", "registry", "db", "demo", "testing"},
    "demo": {"registry", "db"},
    "testing": {"db"},
}


def _imported_packages(path: Path) -> set[str]:
    """The techreg packages (or top-level modules) a module imports, relative or absolute."""
    here = path.relative_to(ROOT).parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[:len(here) - (node.level - 1)])
                parts = base + (node.module.split(".") if node.module else [])
                found.add(parts[0] if parts else node.names[0].name)
            elif node.module and node.module.startswith("techreg."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {n.name.split(".")[1] for n in node.names if n.name.startswith("techreg.")}
    return found


def _owner(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


MODULES = [p for p in sorted(ROOT.rglob("*.py")) if _owner(p) in MAY_IMPORT]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_only_what_its_package_may(path):
    owner = _owner(path)
    wrong = _imported_packages(path) - MAY_IMPORT[owner] - SHARED - {owner}
    assert not wrong, f"{path.relative_to(ROOT)} ({owner}) imports {sorted(wrong)}"


@pytest.mark.parametrize("package", [p for p in MAY_IMPORT if (ROOT / p / "__init__.py").exists()])
def test_each_package_says_what_it_owns_and_may_import(package):
    doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))) or ""
    if package == "cli":
        return                                   # the top: it may import everything, its docstring lists its modules
    assert "May import" in doc, package
    for allowed in MAY_IMPORT[package]:
        assert allowed in doc, (package, allowed)
