#!/usr/bin/env python
"""The docuthèque, measured by hand (not a test): `.venv/bin/python bench/documents_bench.py`.

Builds a temporary SQLite database with a group of 1,000 documents (rows written directly,
each with 10 pages of text for the search), then prints:
- the SQL statements of the group's docuthèque (first and last page) and of the group
  page, with 10 documents and with 1,000: the counts must be equal;
- each page's time per request (in-process test client, median) beside a bare route's;
- a search over the 10,000 pages of text (median), a word on every page and a rare one;
- the Python memory peak (tracemalloc) while streaming a 5 MB and a 50 MB download,
  from the local folder and, when moto[server] is installed, from S3: flat means the
  file is never read whole into memory.
Compare ratios, not absolute numbers (the machine drifts up to 2x between runs).
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402


def median_ms(fn, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def make(folder: Path, **overrides):
    app = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            **overrides,
        },
        instance_path=str(folder / "instance"),
    )
    app.add_url_rule("/__hello/", "hello", lambda: "hello")
    return app


def add_documents(group, user, count: int, pages: int = 10) -> None:
    from forum.documents.models import Document, DocumentText, DocumentVersion
    from forum.documents.search import stems_of

    for n in range(count):
        doc = Document(
            group_id=group.id,
            title=f"Rapport {n}",
            kind="pdf",
            size=1000 + n,
            filename=f"rapport-{n}.pdf",
            visibility="public" if n % 3 else "group",
            tags=",rapport,",
            uploaded_by_id=user.id,
        )
        db.session.add(doc)
        db.session.flush()
        version = DocumentVersion(
            document_id=doc.id,
            number=1,
            storage_key=f"aa/{secrets.token_hex(20)}",
            sha256="0" * 64,
            size=doc.size,
            kind="pdf",
            filename=doc.filename,
            text_status="done",
        )
        db.session.add(version)
        db.session.flush()
        for page in range(1, pages + 1):
            text = f"Le logement des familles, page {page} du rapport {n}, terrain {n * 7}."
            db.session.add(
                DocumentText(
                    document_id=doc.id,
                    version_id=version.id,
                    page=page,
                    text=text,
                    stems=stems_of(text),
                )
            )
    db.session.commit()


def statement_counts(app, slug: str, pages: int) -> dict[str, int]:
    from tests.test_speed import statements

    urls = {
        "docuthèque, first page": f"/groups/{slug}/documents/",
        "docuthèque, last page": f"/groups/{slug}/documents/?page={pages}",
        "group page": f"/groups/{slug}/",
    }
    counts = {}
    for name, url in urls.items():
        client = app.test_client()
        with statements(db) as seen:
            assert client.get(url).status_code == 200
        counts[name] = len(seen)
    return counts


def download_peak(app, size_mb: int) -> float:
    """Peak Python memory (MB) while streaming a stored file of `size_mb` MB."""
    from forum.accounts.models import User
    from forum.documents.models import Document, DocumentVersion
    from forum.documents.storage import new_key, storage

    key = new_key()
    with tempfile.TemporaryFile() as f:
        block = os.urandom(1024 * 1024)
        for _ in range(size_mb):
            f.write(block)
        f.seek(0)
        storage().save(key, f)
    user = db.session.scalar(db.select(User).limit(1))
    group_id = db.session.scalar(db.select(Document.group_id).limit(1))
    doc = Document(
        group_id=group_id,
        title="Gros fichier",
        kind="pdf",
        size=size_mb << 20,
        filename="gros.pdf",
        visibility="public",
        uploaded_by_id=user.id,
    )
    db.session.add(doc)
    db.session.flush()
    db.session.add(
        DocumentVersion(
            document_id=doc.id,
            number=1,
            storage_key=key,
            sha256="0" * 64,
            size=size_mb << 20,
            kind="pdf",
            filename="gros.pdf",
            text_status="done",
        )
    )
    db.session.commit()
    client = app.test_client()
    tracemalloc.start()
    response = client.get(f"/documents/{doc.id}/download")
    received = sum(len(chunk) for chunk in response.response)
    response.close()
    peak = tracemalloc.get_traced_memory()[1] / 1048576
    tracemalloc.stop()
    assert received == size_mb << 20, received
    return peak


def main() -> None:
    from forum.groups.models import Role
    from tests.factories import add_member, make_group, make_user

    folder = Path(tempfile.mkdtemp())
    app = make(folder)
    with app.app_context():
        db.create_all()
        hello = median_ms(lambda: app.test_client().get("/__hello/"))
        user = make_user(name="Bench")
        small, big = make_group("petit"), make_group("grand")
        add_member(user, small, Role.COORDINATOR)
        add_member(user, big, Role.COORDINATOR)
        db.session.commit()
        add_documents(small, user, 10)
        add_documents(big, user, 1000)
        print("SQL statements per page (visitor): 10 documents | 1,000 documents")
        a = statement_counts(app, "petit", 1)
        b = statement_counts(app, "grand", (667 - 1) // 25 + 1)  # public ones, 25 a page
        for name in a:
            print(f"  {name:<24} {a[name]:>3} | {b[name]:>3}")
        print(f"Time per request, median of 30 (bare route: {hello:.2f} ms)")
        for name, url in {
            "docuthèque, first page": "/groups/grand/documents/",
            "docuthèque, page 20": "/groups/grand/documents/?page=20",
            "group page": "/groups/grand/",
            "search, word on every page": "/search?q=logement",
            "search, rare word": "/search?q=terrain+6993",
        }.items():
            ms = median_ms(lambda url=url: app.test_client().get(url))
            print(f"  {name:<28} {ms:7.2f} ms  ({ms / hello:5.1f}x the bare route)")
        print("Peak Python memory while streaming a download (tracemalloc)")
        for size in (5, 50):
            print(f"  local folder, {size:>2} MB file: {download_peak(app, size):6.2f} MB")
    # moto in its own process: its memory (it keeps the objects) is not ours to count.
    moto = Path(sys.executable).with_name("moto_server")
    if not moto.exists():
        print("  (S3 skipped: moto[server] is not installed)")
        return
    import subprocess

    from tests.documents_support import MotoServer
    from tests.services import free_port, port_open

    server = MotoServer.__new__(MotoServer)
    server.port = free_port()
    server.url = f"http://127.0.0.1:{server.port}"
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(server.port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if port_open("127.0.0.1", server.port):
            break
        time.sleep(0.1)
    try:
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
        )
        server.client().create_bucket(Bucket="bench")
        s3_folder = Path(tempfile.mkdtemp())
        s3 = make(
            s3_folder,
            UPLOAD_S3_BUCKET="bench",
            UPLOAD_S3_ENDPOINT_URL=server.url,
            UPLOAD_S3_REGION="us-east-1",
        )
        with s3.app_context():
            db.create_all()
            user = make_user(name="Bench")
            group = make_group("s3")
            add_member(user, group)
            db.session.commit()
            add_documents(group, user, 1, pages=1)
            for size in (5, 50):
                print(f"  S3 (moto server), {size:>2} MB file: {download_peak(s3, size):6.2f} MB")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
