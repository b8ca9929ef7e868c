"""A small self-contained HTML report: headings, text, tables and PNG figures.

Figures are written as PNG files next to ``index.html`` and also embedded in it (base64), so the page
can be opened or mailed on its own. The report directory is replaced atomically.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from deepcausal._atomic import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: .25rem .75rem; }
th { background: #f0f0f0; } tr:nth-child(even) td { background: #fafafa; }
td, th { border: 1px solid #ddd; text-align: right; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1rem 0; } figcaption { color: #555; font-size: .9rem; }
code, pre { background: #f6f6f6; padding: .1rem .3rem; }
"""


@dataclass
class Report:
    """Build a report piece by piece, then :meth:`write` it.

    >>> r = Report("Demo")
    >>> r.heading("Rung 1")
    >>> r.text("Observational samples.")
    >>> "<h2>Rung 1</h2>" in r.html()
    True
    """

    title: str
    _parts: list[str] = field(default_factory=list)
    _images: dict[str, bytes] = field(default_factory=dict)

    def heading(self, text: str) -> None:
        """A section heading."""
        self._parts.append(f"<h2>{html.escape(text)}</h2>")

    def text(self, text: str) -> None:
        """A paragraph of plain text."""
        self._parts.append(f"<p>{html.escape(text)}</p>")

    def code(self, text: str) -> None:
        """Preformatted text (a formula, a command)."""
        self._parts.append(f"<pre>{html.escape(text)}</pre>")

    def table(self, frame: pd.DataFrame, float_format: str = "{:.4g}") -> None:
        """A table from a DataFrame."""
        self._parts.append(
            frame.to_html(
                float_format=lambda v: float_format.format(v), border=0, escape=True, index=False
            )
        )

    def figure(self, fig: Figure, name: str, caption: str = "") -> None:
        """A matplotlib figure, saved as ``<name>.png`` and embedded; the figure is closed."""
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        data = buffer.getvalue()
        filename = f"{name}.png"
        self._images[filename] = data
        encoded = base64.b64encode(data).decode("ascii")
        self._parts.append(
            f'<figure><img alt="{html.escape(caption or name)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def html(self) -> str:
        """The page as one HTML string."""
        body = "\n".join(self._parts)
        title = html.escape(self.title)
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_STYLE}</style></head>\n<body><h1>{title}</h1>\n{body}\n</body></html>\n"
        )

    def write(self, directory: str | Path) -> Path:
        """Write ``index.html`` and the PNG files into ``directory``, each file atomically.

        Only these files are written; nothing else in ``directory`` is touched or deleted.
        """
        folder = Path(directory)
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(f"cannot write a report to {folder}: it is a file")
        for filename, data in self._images.items():
            atomic_write_bytes(folder / filename, data)
        atomic_write_text(folder / "index.html", self.html())  # last: it refers to the images
        return folder / "index.html"
