"""Reports as PDF: a title, a paragraph, and a table that runs over as many pages as it needs.

Drawn with fpdf2 in DejaVu Sans Condensed, shipped in `custos/fonts` with its licence, so that
names in Kazakh, Russian or any other script print the same on every machine; only the
characters used are embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from fpdf import FPDF
from fpdf.fonts import FontFace

FONT = "DejaVuSansCondensed"


class _Report(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self._footer = footer

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.cell(0, 5, f"{self._footer} · page {self.page_no()} of {{nb}}", align="C")


def table_report(
    title: str,
    intro: str,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float],
    footer: str = "",
) -> bytes:
    """One PDF document: `title`, `intro`, then the table (headings repeated on each page).

    `widths` are the columns' shares of the page's width."""
    if len(widths) != len(headings) or any(len(row) != len(headings) for row in rows):
        raise ValueError("every row needs one cell per heading and one width per column")
    pdf = _Report(footer or title)
    fonts = resources.files("custos") / "fonts"
    with resources.as_file(fonts / f"{FONT}.ttf") as regular:
        pdf.add_font(FONT, "", str(regular))
    with resources.as_file(fonts / f"{FONT}-Bold.ttf") as bold:
        pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(title)
    pdf.set_creator("Custos")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT, style="B", size=13)
    pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(0, 4.5, intro, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, size=7)
    with pdf.table(
        col_widths=tuple(widths),
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        line_height=3.4,
        text_align="LEFT",
    ) as table:
        for row in (headings, *rows):
            cells = table.row()
            for text in row:
                cells.cell(text)
    return bytes(pdf.output())
