"""The guide as a spreadsheet for the town hall: CSV for a French spreadsheet (UTF-8 with
a BOM, `;`, formula guard) and OpenDocument (.ods), built by hand: a zip of four parts."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from forum.guide.models import Resource
from forum.projects.coordination import csv_cell, paris_day

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def rows(entries: list[Resource], cutoff: datetime, labels: dict, yes: str) -> list[list[str]]:
    """One row per entry, as text: kind, name, address, hours, phone, languages,
    conditions, checked on, checked by, to check."""
    return [
        [
            str(labels.get(e.kind, e.kind)),
            e.name,
            e.address,
            e.opening_hours,
            e.phone,
            e.languages,
            e.conditions,
            paris_day(e.checked_at),
            e.checked_by.display_name if e.checked_by is not None else "",
            yes if e.is_stale(cutoff) else "",
        ]
        for e in entries
    ]


def to_csv(headers: list[str], body: list[list[str]]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    for row in body:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" \
manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"'
)
_STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {_NS}><office:styles/></office:document-styles>
"""


def _cell(value: str, style: str = "") -> str:
    """A text cell: a string value is never a formula, whatever it starts with (a formula
    lives in table:formula, which is never written). Line breaks become paragraphs."""
    styled = ' table:style-name="header"' if style else ""
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in value.split("\n"))
    return f'<table:table-cell office:value-type="string"{styled}>{paragraphs}</table:table-cell>'


def to_ods(title: str, sheet: str, headers: list[str], body: list[list[str]]) -> bytes:
    """An OpenDocument spreadsheet of one table, a header row in bold."""
    lines = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS}>',
        "<office:automatic-styles>",
        '<style:style style:name="header" style:family="table-cell">',
        '<style:text-properties fo:font-weight="bold"/></style:style>',
        "</office:automatic-styles>",
        f"<office:body><office:spreadsheet><table:table table:name={quoteattr(sheet[:31])}>",
        f'<table:table-column table:number-columns-repeated="{len(headers)}"/>',
        "<table:table-row>" + "".join(_cell(h, "header") for h in headers) + "</table:table-row>",
    ]
    for row in body:
        lines.append("<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>")
    lines.append("</table:table></office:spreadsheet></office:body></office:document-content>")
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {_NS}><office:meta>'
        f"<dc:title>{escape(title)}</dc:title></office:meta></office:document-meta>\n"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        # The mimetype comes first and uncompressed: that is how a reader recognises ODF.
        archive.writestr("mimetype", ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", "\n".join(lines), zipfile.ZIP_DEFLATED)
        archive.writestr("styles.xml", _STYLES, zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", meta, zipfile.ZIP_DEFLATED)
    return out.getvalue()
