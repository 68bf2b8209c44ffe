"""Reading inside a file, in a separate process with limits: a hostile file (a PDF whose
page tree loops, a zip bomb) costs at most a few seconds and a bounded amount of memory,
and never the web worker.

`run(mode, kind, path)` starts this file as a script with Python's isolated mode (no
package of the site is imported: only the standard library and the readers), under
RLIMIT_AS (address space) and RLIMIT_CPU, with a wall-clock timeout; it answers one JSON
object on stdout. Modes:
- "check": is the file what it claims? PDF: pypdf opens it and walks its page tree, each
  node once (a loop is refused); office files: the reader opens them.
- "text": the text, one entry per PDF page, or one for a whole office file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_PAGES = 5000
MAX_TEXT = 4 * 1024 * 1024  # characters kept from one file
MAX_CELLS = 200_000  # spreadsheet cells read


@dataclass
class Outcome:
    ok: bool
    reason: str = ""  # "timeout", "memory", "damaged", "loop", "too_many_pages", …
    pages: list | None = None  # [[page or None, text], …] for "text"
    page_count: int | None = None


def run(mode: str, kind: str, path: str | os.PathLike, *, seconds: int, memory_mb: int) -> Outcome:
    """Run the worker on `path`; any failure (timeout, memory, crash) is a refusal.

    The child sets its own limits first thing, before it imports a reader or opens the
    file (no `preexec_fn`, which is unsafe in a threaded server)."""
    command = [
        sys.executable,
        "-I",
        str(Path(__file__).resolve()),
        mode,
        kind,
        str(path),
        str(seconds),
        str(memory_mb),
    ]
    try:
        done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            command,
            capture_output=True,
            timeout=seconds + 2,
            check=False,
            env={"LC_ALL": "C.UTF-8"},
        )
    except subprocess.TimeoutExpired:
        return Outcome(False, "timeout")
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace")
        if "MemoryError" in stderr:
            return Outcome(False, "memory")
        return Outcome(False, "timeout" if done.returncode in (-9, -24) else "crashed")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        return Outcome(False, "crashed")
    return Outcome(
        bool(answer.get("ok")),
        answer.get("reason", ""),
        answer.get("pages"),
        answer.get("page_count"),
    )


# --- In the child ------------------------------------------------------------------------


class Refused(Exception):
    pass


def _pdf_reader(path: str):
    from pypdf import PdfReader

    try:
        return PdfReader(path, strict=False)
    except Exception as exc:  # noqa: BLE001 - any reading error: not a usable PDF
        raise Refused("damaged") from exc


def _walk_pages(reader) -> int:
    """Count the leaves of the page tree, each node visited once: a loop is refused."""
    from pypdf.generic import IndirectObject

    try:
        root = reader.trailer["/Root"].get_object()
        top = root["/Pages"]
    except Exception as exc:  # noqa: BLE001
        raise Refused("damaged") from exc
    seen: set = set()
    stack = [top]
    count = 0
    while stack:
        node = stack.pop()
        ref = (node.idnum, node.generation) if isinstance(node, IndirectObject) else id(node)
        if ref in seen:
            raise Refused("loop")
        seen.add(ref)
        obj = node.get_object()
        kind = obj.get("/Type")
        if kind == "/Pages" or "/Kids" in obj:
            stack.extend(obj.get("/Kids", []))
        else:
            count += 1
            if count > MAX_PAGES:
                raise Refused("too_many_pages")
    if count == 0:
        raise Refused("damaged")
    return count


def _check(kind: str, path: str) -> dict:
    if kind == "pdf":
        reader = _pdf_reader(path)
        if reader.is_encrypted:
            raise Refused("encrypted")
        return {"ok": True, "page_count": _walk_pages(reader)}
    if kind in ("docx", "xlsx", "odt", "ods"):
        _text(kind, path)  # the reader must get through the file, within the limits
        return {"ok": True}
    return {"ok": True}


def _clip(pages: list) -> list:
    total = 0
    kept = []
    for page, text in pages:
        text = " ".join(text.split())
        if not text:
            continue
        text = text[: max(MAX_TEXT - total, 0)]
        total += len(text)
        kept.append([page, text])
        if total >= MAX_TEXT:
            break
    return kept


def _text(kind: str, path: str) -> list:
    if kind == "pdf":
        reader = _pdf_reader(path)
        _walk_pages(reader)
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                pages.append([number, page.extract_text() or ""])
            except Exception:  # noqa: BLE001 - one unreadable page does not hide the rest
                pages.append([number, ""])
        return pages
    if kind == "docx":
        import docx

        document = docx.Document(path)
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                parts.extend(cell.text for cell in row.cells)
        return [[None, "\n".join(parts)]]
    if kind == "xlsx":
        import openpyxl

        # A file object: openpyxl judges a path by its extension (temporary files have none).
        handle = open(path, "rb")  # noqa: SIM115 - closed with the child process
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        parts, cells = [], 0
        for sheet in book.worksheets:
            parts.append(str(sheet.title))
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    cells += 1
                    if cells > MAX_CELLS:
                        return [[None, " ".join(parts)]]
                    if value is not None:
                        parts.append(str(value))
        return [[None, " ".join(parts)]]
    if kind in ("odt", "ods"):
        from odfdo import Document

        body = Document(path).body
        return [[None, body.text_recursive]]
    return []


def _limit(seconds: int, memory_mb: int) -> None:  # pragma: no cover - in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))


def main(argv: list[str]) -> int:  # pragma: no cover - runs in the child
    mode, kind, path, seconds, memory_mb = argv
    _limit(int(seconds), int(memory_mb))
    try:
        if mode == "check":
            answer = _check(kind, path)
        else:
            answer = {"ok": True, "pages": _clip(_text(kind, path))}
    except Refused as refused:
        answer = {"ok": False, "reason": str(refused)}
    except MemoryError:
        answer = {"ok": False, "reason": "memory"}
    except RecursionError:
        answer = {"ok": False, "reason": "loop"}
    except Exception:  # noqa: BLE001 - whatever a broken file makes a reader raise
        answer = {"ok": False, "reason": "damaged"}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
