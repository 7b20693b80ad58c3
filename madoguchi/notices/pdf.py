"""The document engine (帳票): a Django template rendered to an A4 PDF by WeasyPrint, with
the Japanese font embedded (Debian's fonts-ipaexfont, found through fontconfig; for the
characters of 住基 names that IPAex lacks, such as 𠮷, IPAmj明朝 from fonts-ipamj-mincho, the
font made for the 文字情報基盤 the registries use).

Nothing outside the document is ever fetched: a value an applicant signed is escaped by the
template, and a URL that got in anyway (an image, a stylesheet) is refused, so a PDF cannot
be made to reach the network or read a file of the server.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

# A4, the fonts a municipality's documents use (ゴシック for the form, 明朝 for letters).
PAGE_CSS = """
@page { size: A4; margin: 15mm 15mm 18mm 15mm;
        @top-right { content: string(running); font-size: 8pt; }
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; } }
/* The application on every page of its print (受付番号 and name in the page's header). */
.running { string-set: running content(); font-size: 8pt; margin: 0; color: #444; }
table.history th { width: 32%; font-size: 8pt; }
html { font-family: "IPAexGothic", "IPAmjMincho", sans-serif; font-size: 9.5pt; line-height: 1.45; }
.mincho { font-family: "IPAexMincho", "IPAmjMincho", serif; }
h1 { font-size: 14pt; margin: 0 0 4mm; }
h2 { font-size: 10.5pt; margin: 5mm 0 1.5mm; border-bottom: 0.4pt solid #000; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.4pt solid #000; padding: 1mm 1.5mm; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #eee; font-weight: normal; width: 30%; }
.kairan { table-layout: fixed; }
h3 { font-size: 9.5pt; margin: 3mm 0 1mm; }
table.group th { width: auto; font-size: 8pt; }
table.group td { font-size: 8.5pt; white-space: nowrap; overflow-wrap: normal; }
table.group .n { width: 6mm; text-align: center; }
.kairan td { height: 16mm; }
.kairan td.approval { text-align: center; font-size: 8pt; vertical-align: middle; }
.kairan th { text-align: center; width: auto; }
.signature td.sign { height: 18mm; }
.digest { font-size: 7.5pt; overflow-wrap: anywhere; }
.error { font-weight: bold; }
"""


@functools.cache
def _engine() -> tuple[Any, Any, Any]:
    """WeasyPrint, loaded on the first document rather than with every command and page
    (it parses its own stylesheets when imported): (HTML, the page CSS, the fetcher)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    # No protocol at all is allowed: every URL in a document is refused, never fetched.
    no_fetch = URLFetcher(allowed_protocols=frozenset())
    return HTML, CSS(string=PAGE_CSS, url_fetcher=no_fetch), no_fetch


def render_pdf(
    template_name: str, context: Mapping[str, Any], request: HttpRequest | None = None
) -> bytes:
    html_class, page_css, no_fetch = _engine()
    html = render_to_string(template_name, context, request=request)
    document = html_class(string=html, url_fetcher=no_fetch, base_url="about:blank")
    return bytes(document.write_pdf(stylesheets=[page_css]))
