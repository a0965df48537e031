import io

import pytest
from pypdf import PdfReader

from custos.pdf import table_report


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_a_report_prints_any_script_and_runs_over_pages() -> None:
    rows = [[str(n), f"Қасымов Ержан — Иванов {n}", "x" * 300] for n in range(120)]
    data = table_report(
        "Отчёт: chain of custody",
        "Every entry, in order.",
        ("Entry", "Who", "Details"),
        rows,
        widths=(1, 3, 6),
        footer="export 7",
    )
    assert data.startswith(b"%PDF-")
    pages, text = _text(data)
    assert pages > 2
    assert "Отчёт: chain of custody" in text
    assert "Қасымов Ержан — Иванов 119" in text
    assert f"page {pages} of {pages}" in text
    assert text.count("Details") == pages  # the headings repeated on every page


def test_a_row_short_of_cells_is_refused() -> None:
    with pytest.raises(ValueError, match="one cell per heading"):
        table_report("t", "i", ("a", "b"), [["only one"]], widths=(1, 1))
