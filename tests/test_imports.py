"""The foundations import without torch, and the package exposes an explicit public API."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import deepcausal

BLOCK_TORCH = textwrap.dedent(
    """
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError("torch is blocked in this test")
            return None
    sys.meta_path.insert(0, Block())
    """
)


def test_foundations_import_without_torch() -> None:
    code = BLOCK_TORCH + textwrap.dedent(
        """
        import deepcausal, deepcausal.graph, deepcausal.identify, deepcausal.data, deepcausal.datasets
        from deepcausal import CausalGraph, identify
        print(identify(CausalGraph("Z -> X; X -> Y; Z -> Y"), "X", "Y"))
        from deepcausal.cli.main import build_parser
        build_parser()
        assert "torch" not in sys.modules
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "P(Y | X, Z)" in result.stdout


def test_public_names_resolve() -> None:
    for name in deepcausal.__all__:
        assert getattr(deepcausal, name) is not None


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import of a module, at any depth, except those only for type checkers."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in skip
    ]


def test_no_import_circles() -> None:
    """No module imports (directly or through others) one that imports it back, even lazily."""
    import networkx as nx

    root = Path(deepcausal.__file__).parent.parent
    modules = {}
    for path in root.joinpath("deepcausal").rglob("*.py"):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = nx.DiGraph()
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]  # fmt: skip
            else:
                targets = [a.name for a in node.names]
            graph.add_edges_from((name, t) for t in targets if t in modules and t != name)
    circles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not circles, f"import circles: {circles}"


def test_no_private_imports_across_packages() -> None:
    """A package uses another through its public names (``deepcausal.graph``, not
    ``deepcausal.graph._files``); the top-level ``deepcausal._*`` modules are shared plumbing."""
    root = Path(deepcausal.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if len(parts) < 2:
            continue
        for node in _imports(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            target = node.module.split(".")
            if target[0] != "deepcausal" or len(target) < 3 or target[1] == parts[0]:
                continue
            if any(p.startswith("_") for p in target[2:]):
                offenders.append(f"{'/'.join(parts)}:{node.lineno} from {node.module}")
    assert not offenders, "private imports across packages:\n" + "\n".join(offenders)
