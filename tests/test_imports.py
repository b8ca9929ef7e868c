"""The foundations import without torch, and the package exposes an explicit public API."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
