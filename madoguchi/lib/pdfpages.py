"""PDF attachments shown as pictures: a page rendered to PNG by PDFium (pypdfium2), so no
script, form action or link in an applicant's PDF can run in a clerk's browser. Django-free.

PDFium is C code reading hostile input, so it runs in a child process with a memory and
time limit (``render_in_child``); a crash or a runaway file costs that process only.

    python -m madoguchi.lib.pdfpages count < file.pdf        → the page count
    python -m madoguchi.lib.pdfpages render N < file.pdf     → page N (1-based) as PNG
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
from typing import Any

MAX_PAGES = 50
MAX_WIDTH = 1400  # pixels: an A4 page at about 170 dpi, sharp on a clerk's screen
MAX_PIXELS = 1400 * 2000
CHILD_MEMORY = 1024 * 1024 * 1024
CHILD_SECONDS = 20


class PdfError(Exception):
    """The PDF cannot be shown as pictures (damaged, too large, or too slow)."""


def _open(data: bytes) -> Any:
    # Imported here: only the child process loads PDFium.
    import pypdfium2  # type: ignore[import-untyped]

    return pypdfium2.PdfDocument(data)


def page_count(data: bytes) -> int:
    document = _open(data)
    try:
        return min(len(document), MAX_PAGES)
    finally:
        document.close()


def render_page(data: bytes, number: int) -> bytes:
    document = _open(data)
    try:
        if not 1 <= number <= min(len(document), MAX_PAGES):
            raise PdfError(f"no page {number}")
        page = document[number - 1]
        width, height = page.get_size()  # points
        scale = min(MAX_WIDTH / max(width, 1), (MAX_PIXELS / max(width * height, 1)) ** 0.5, 4.0)
        image = page.render(scale=scale, may_draw_forms=False).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()
    finally:
        document.close()


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_SECONDS, CHILD_SECONDS))


def render_in_child(data: bytes, *args: str) -> bytes:
    """Run this module's ``count`` or ``render N`` on ``data`` in a limited child process."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "madoguchi.lib.pdfpages", *args],
            input=data,
            capture_output=True,
            timeout=CHILD_SECONDS,
            preexec_fn=_limit_child,  # noqa: PLW1509 - no threads are started before exec
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PdfError("timeout") from exc
    if done.returncode != 0:
        raise PdfError(done.stderr.decode(errors="replace").strip()[-200:] or "failed")
    return done.stdout


def _main(argv: list[str]) -> int:
    data = sys.stdin.buffer.read()
    try:
        if argv[:1] == ["count"]:
            sys.stdout.write(str(page_count(data)))
        elif argv[:1] == ["render"] and len(argv) == 2:
            sys.stdout.buffer.write(render_page(data, int(argv[1])))
        else:
            sys.stderr.write("usage: count | render N\n")
            return 2
    except Exception as exc:  # a damaged PDF: reported, never a crash of the caller
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
