"""The docuthèque through its pages: uploading (type from the content), downloading
(headers), visibility (404 for whoever may not see), versions, soft deletion and purge,
on the local folder and on an S3-compatible server (moto, in server mode)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from forum.db import utcnow
from forum.documents.models import Document, DocumentVersion
from forum.documents.storage import storage
from forum.groups.models import Role
from tests.conftest import csrf_token, login_as
from tests.documents_support import (
    HTML,
    JPEG,
    PNG,
    SVG,
    MotoServer,
    looping_pdf,
    make_docx,
    make_ods,
    make_odt,
    make_pdf,
    make_xlsx,
    moto_available,
    zip_bomb_docx,
)
from tests.factories import add_member, make_group, make_user
from tests.services import need

PDF = make_pdf(["Sommaire", "Introduction", "Les pages 74 à 94 du rapport de Romeurope"])


@pytest.fixture(scope="module")
def moto_server():
    """One S3-compatible server for the module, started only if a test asks for S3."""
    servers = []

    def start():
        if not servers:
            required = os.environ.get("FORUM_TEST_S3_REQUIRED") == "1"
            if not moto_available() and required:
                pytest.fail("FORUM_TEST_S3_REQUIRED=1 but moto[server] is not installed")
            need(moto_available(), "moto[server] is not installed: the S3 backend is not tested")
            servers.append(MotoServer().start())
        return servers[0]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def backend():
    return "local"


@pytest.fixture
def app(request, make_app, backend, moto_server, monkeypatch):
    overrides = {}
    if backend == "s3":
        server = moto_server()
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        bucket = f"docs-{uuid.uuid4().hex[:12]}"
        server.client().create_bucket(Bucket=bucket)
        overrides = {
            "UPLOAD_S3_BUCKET": bucket,
            "UPLOAD_S3_ENDPOINT_URL": server.url,
            "UPLOAD_S3_REGION": "us-east-1",
        }
    overrides.update(getattr(request, "param", {}) or {})
    app = make_app(**overrides)
    with app.app_context():
        yield app


BOTH = pytest.mark.parametrize("backend", ["local", "s3"], indirect=True)


def upload(client, slug, content, filename="rapport.pdf", **fields):
    data = {
        "title": "Rapport Romeurope",
        "description": "Le rapport annuel",
        "tags": "rapport, Logement",
        "issued_on": "2024-06-01",
        "source": "Romeurope",
        "visibility": "public",
        **fields,
        "csrf_token": csrf_token(client, f"/groups/{slug}/documents/new"),
        "file": (io.BytesIO(content), filename),
    }
    return post_multipart(client, f"/groups/{slug}/documents/new", data)


def post_multipart(client, url, data):
    """POST a multipart form encoded in memory (the test client spools a large body to a
    temporary file that it never closes)."""
    values = {
        name: FileStorage(value[0], value[1]) if isinstance(value, tuple) else value
        for name, value in data.items()
    }
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored_keys() -> list[str]:
    return list(storage().keys())


@pytest.fixture
def people(db):
    group = make_group()
    member = make_user(name="Membre")
    coordinator = make_user(name="Coordinatrice")
    add_member(member, group)
    add_member(coordinator, group, Role.COORDINATOR)
    outsider = make_user(name="Extérieure")
    db.session.commit()
    return group, member, coordinator, outsider


def document_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/documents/(\d+)$", response.headers["Location"]).group(1))


@BOTH
def test_a_member_uploads_a_pdf_and_anyone_downloads_it_as_an_attachment(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, PDF, filename="Rapport 2024.PDF"))

    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Rapport Romeurope" in page and "3 pages" in page
    assert "logement" in page  # tags are lower-cased

    visitor = client.application.test_client()
    response = visitor.get(f"/documents/{doc_id}/download", buffered=True)
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Rapport 2024.pdf" in response.headers["Content-Disposition"]
    assert "sandbox" in response.headers["Content-Security-Policy"]

    version = db.session.scalar(select(DocumentVersion))
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert re.fullmatch(r"[a-z0-9]{2}/[a-z0-9]{40}", version.storage_key)
    assert stored_keys() == [version.storage_key]  # under its random key, nothing else
    assert version.text_status == "done"  # read back from the storage after the commit


def test_files_are_stored_outside_static_under_the_upload_folder(app, client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    document_id(upload(client, group.slug, PDF))
    key = db.session.scalar(select(DocumentVersion.storage_key))
    path = Path(app.config["UPLOAD_FOLDER"]) / key
    assert path.read_bytes() == PDF
    assert "static" not in path.parts
    assert client.get(f"/static/{key}").status_code == 404


@pytest.mark.parametrize(
    ("content", "filename", "kind"),
    [
        (make_docx("Le protocole de coopération"), "protocole.docx", "DOCX"),
        (make_xlsx(["Cantine", "École"]), "tableau.xlsx", "XLSX"),
        (make_odt("Compte rendu"), "cr.odt", "ODT"),
        (make_ods(["Cantine", "Hygiène"]), "tableau.ods", "ODS"),
        (PNG, "photo.png", "PNG"),
        (JPEG, "photo.jpg", "JPEG"),
        (PDF, "named-wrongly.docx", "PDF"),  # the content decides, not the name
    ],
)
def test_each_accepted_kind_is_recognised_from_its_content(
    client, db, people, content, filename, kind
):
    group, member, _, _ = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, content, filename=filename))
    assert db.session.get(Document, doc_id).kind.upper() == kind
    assert f"{kind} ·" in client.get(f"/documents/{doc_id}").get_data(as_text=True)


def test_images_show_inline_everything_else_downloads(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    image = document_id(upload(client, group.slug, PNG, filename="plan.png"))
    office = document_id(upload(client, group.slug, make_docx("Texte"), filename="t.docx"))
    shown = client.get(f"/documents/{image}/download", buffered=True)
    assert shown.mimetype == "image/png"
    assert shown.headers["Content-Disposition"].startswith("inline;")
    kept = client.get(f"/documents/{office}/download", buffered=True)
    assert kept.headers["Content-Disposition"].startswith("attachment;")
    assert kept.mimetype.endswith("wordprocessingml.document")


BAD_INPUT = {
    "html named .pdf": (HTML, "rapport.pdf", "whatever its name says"),
    "svg with script named .png": (SVG, "plan.png", "whatever its name says"),
    "zip bomb named .docx": (zip_bomb_docx(), "bombe.docx", "unpacks to far more"),
    "pdf whose page tree loops": (looping_pdf(), "boucle.pdf", "in a loop"),
    "empty file": (b"", "vide.pdf", "This file is empty"),
    "path trick": (PDF, "../../etc/rapport.pdf", "holds a path or control characters"),
    "windows path trick": (PDF, "..\\..\\rapport.pdf", "holds a path or control characters"),
    "control character": (PDF, "rap\x07port.pdf", "holds a path or control characters"),
    # A line break ends the part's header: no file arrives at all.
    "line break": (PDF, "rapport\r\n.pdf", "Choose a file to send"),
    "bidi override": (PDF, "rapport\u202efdp.exe", "holds a path or control characters"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
@pytest.mark.parametrize("app", [{"BABEL_DEFAULT_LOCALE": "en"}], indirect=True)
def test_bad_input_is_refused_clearly_keeping_what_was_typed_and_storing_nothing(
    client, db, people, case
):
    group, member, _, _ = people
    member.locale = "en"
    login_as(client, member)
    content, filename, message = BAD_INPUT[case]
    response = upload(client, group.slug, content, filename=filename, title="Mon titre à garder")
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:500]
    assert message in page.replace("&#39;", "'")
    assert 'value="Mon titre à garder"' in page
    assert "Le rapport annuel" in page  # the description, kept
    assert "choose it again" in page
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert stored_keys() == []


@pytest.mark.parametrize("app", [{"UPLOAD_MAX_MB": 1}], indirect=True)
def test_an_oversized_upload_gets_the_413_page_and_leaves_nothing(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    response = upload(client, group.slug, PDF + b"\0" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert "1 Mo" in response.get_data(as_text=True) or "1 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert stored_keys() == []


@pytest.mark.parametrize("app", [{"UPLOAD_MAX_MB": 1}], indirect=True)
def test_a_file_just_over_the_limit_is_refused_on_the_form(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    response = upload(client, group.slug, PDF + b"\0" * (1024 * 1024))
    assert response.status_code == 400
    assert "plus de 1 Mo" in response.get_data(as_text=True) or "1 MB" in response.get_data(
        as_text=True
    )
    assert stored_keys() == []


@BOTH
def test_a_failed_transaction_removes_the_file_it_stored(app, db, people):
    from forum.documents import services

    group, member, _, _ = people
    data = services.DocumentData(title="Sera annulé")
    with app.test_request_context():
        services.upload_document(member, group, data, io.BytesIO(PDF), "r.pdf")
        assert len(stored_keys()) == 1
        db.session.rollback()
    assert stored_keys() == []


def test_an_upload_refused_by_the_rules_stores_nothing(client, db, people):
    group, _, _, outsider = people
    login_as(client, outsider)  # not a member of the group
    response = upload(client, group.slug, PDF)
    assert response.status_code == 403
    assert stored_keys() == []
    visitor = client.application.test_client()
    assert visitor.get(f"/groups/{group.slug}/documents/new").status_code == 302


VISIBILITY = {
    # visibility: (visitor, outsider account, group member, site admin)
    "public": (200, 200, 200, 200),
    "site": (404, 200, 200, 200),
    "group": (404, 404, 200, 200),
}


@pytest.mark.parametrize("visibility", list(VISIBILITY))
def test_who_sees_a_document_page_its_download_and_its_listing(client, app, db, people, visibility):
    group, member, _, outsider = people
    admin = make_user(admin=True)
    db.session.commit()
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, PDF, visibility=visibility))
    for who, expected in zip((None, outsider, member, admin), VISIBILITY[visibility], strict=True):
        browser = app.test_client()
        if who is not None:
            login_as(browser, who)
        for url in (f"/documents/{doc_id}", f"/documents/{doc_id}/download"):
            assert browser.get(url, buffered=True).status_code == expected, (visibility, who, url)
        listing = browser.get(f"/groups/{group.slug}/documents/").get_data(as_text=True)
        assert ("Rapport Romeurope" in listing) == (expected == 200), (visibility, who)
        shown = browser.get(f"/groups/{group.slug}/").get_data(as_text=True)
        assert ("Rapport Romeurope" in shown) == (expected == 200), (visibility, who)


@BOTH
def test_replacing_the_file_keeps_every_version_downloadable(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, PDF))
    second = make_pdf(["Version corrigée"])
    response = post_multipart(
        client,
        f"/documents/{doc_id}/versions",
        {
            "csrf_token": csrf_token(client, f"/documents/{doc_id}"),
            "file": (io.BytesIO(second), "rapport-v2.pdf"),
        },
    )
    assert response.status_code == 302
    assert client.get(f"/documents/{doc_id}/download", buffered=True).get_data() == second
    assert client.get(f"/documents/{doc_id}/download?version=1", buffered=True).get_data() == PDF
    assert client.get(f"/documents/{doc_id}/download?version=2", buffered=True).get_data() == second
    assert client.get(f"/documents/{doc_id}/download?version=3", buffered=True).status_code == 404
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page
    assert len(stored_keys()) == 2


def test_a_bad_new_version_is_refused_and_the_current_one_stays(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, PDF))
    response = post_multipart(
        client,
        f"/documents/{doc_id}/versions",
        {
            "csrf_token": csrf_token(client, f"/documents/{doc_id}"),
            "file": (io.BytesIO(HTML), "rapport.pdf"),
        },
    )
    assert response.status_code == 400
    assert "quel que soit son nom" in response.get_data(as_text=True)
    assert client.get(f"/documents/{doc_id}/download", buffered=True).get_data() == PDF
    assert len(stored_keys()) == 1


def test_only_the_uploader_or_a_coordinator_changes_a_document(app, client, db, people):
    group, member, coordinator, _ = people
    other = make_user()
    add_member(other, group)
    db.session.commit()
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, PDF))
    browser = app.test_client()
    login_as(browser, other)
    assert browser.get(f"/documents/{doc_id}/edit").status_code == 403
    token = csrf_token(browser, f"/documents/{doc_id}")
    assert (
        browser.post(f"/documents/{doc_id}/delete", data={"csrf_token": token}).status_code == 403
    )
    chief = app.test_client()
    login_as(chief, coordinator)
    response = chief.post(
        f"/documents/{doc_id}/edit",
        data={
            "csrf_token": csrf_token(chief, f"/documents/{doc_id}/edit"),
            "title": "Rapport 2024 (corrigé)",
            "tags": "rapport",
            "visibility": "group",
        },
    )
    assert response.status_code == 302
    assert db.session.get(Document, doc_id).title == "Rapport 2024 (corrigé)"


@BOTH
def test_deletion_is_soft_for_30_days_then_purge_removes_the_files(app, client, db, people):
    group, member, coordinator, _ = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, PDF))
    token = csrf_token(client, f"/documents/{doc_id}")
    assert client.post(f"/documents/{doc_id}/delete", data={"csrf_token": token}).status_code == 302
    # Gone for the member and the visitor; the coordinator sees it and may restore it.
    assert client.get(f"/documents/{doc_id}").status_code == 404
    assert client.get(f"/documents/{doc_id}/download", buffered=True).status_code == 404
    assert "Rapport Romeurope" not in client.get(f"/groups/{group.slug}/documents/").get_data(
        as_text=True
    )
    chief = app.test_client()
    login_as(chief, coordinator)
    assert "Rapport Romeurope" in chief.get(f"/groups/{group.slug}/documents/deleted").get_data(
        as_text=True
    )
    assert client.get(f"/groups/{group.slug}/documents/deleted").status_code == 404
    token = csrf_token(chief, f"/documents/{doc_id}")
    assert chief.post(f"/documents/{doc_id}/restore", data={"csrf_token": token}).status_code == 302
    assert client.get(f"/documents/{doc_id}").status_code == 200

    # Deleted again; the purge leaves it for 30 days, then removes rows and files.
    token = csrf_token(chief, f"/documents/{doc_id}")
    chief.post(f"/documents/{doc_id}/delete", data={"csrf_token": token})
    runner = app.test_cli_runner()
    soon = (utcnow() + timedelta(days=29)).isoformat()
    result = runner.invoke(args=["purge", "--now", soon])
    assert "deleted documents: 0 removed" in result.output, result.output
    assert len(stored_keys()) == 1
    later = (utcnow() + timedelta(days=31)).isoformat()
    result = runner.invoke(args=["purge", "--now", later])
    assert "deleted documents: 1 removed" in result.output, result.output
    assert "document files: 1 removed" in result.output
    db.session.expire_all()
    assert db.session.get(Document, doc_id) is None
    assert stored_keys() == []
    assert chief.get(f"/documents/{doc_id}").status_code == 404
    # Again: nothing more.
    result = runner.invoke(args=["purge", "--now", later])
    assert "deleted documents: 0 removed" in result.output


@BOTH
def test_purge_sweeps_stored_files_no_version_names_once_they_are_old(app, client, db, people):
    """A worker killed between storing a file and rolling back leaves an orphan: the purge
    removes it once it is older than any upload still running, and nothing else."""
    from forum.documents.storage import new_key

    group, member, _, _ = people
    login_as(client, member)
    document_id(upload(client, group.slug, PDF))
    [kept] = stored_keys()
    orphan = new_key()
    storage().save(orphan, io.BytesIO(b"%PDF-1.4 abandoned"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["purge"])
    assert "document files: 0 removed" in result.output, result.output  # too recent
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    result = runner.invoke(args=["purge", "--now", tomorrow])
    assert "document files: 1 removed" in result.output, result.output
    assert stored_keys() == [kept]


def test_the_list_filters_by_tag_and_type_and_shows_meeting_minutes(client, db, people):
    from tests.factories import make_meeting

    group, member, _, _ = people
    meeting = make_meeting(group, title="Réunion de janvier", days=-3)
    meeting.minutes = "On a parlé."
    meeting.minutes_html = "<p>On a parlé.</p>"
    meeting.minutes_at = utcnow()
    db.session.commit()
    login_as(client, member)
    document_id(upload(client, group.slug, PDF, title="Le rapport", tags="rapport"))
    document_id(
        upload(
            client,
            group.slug,
            PNG,
            filename="plan.png",
            title="Le plan",
            tags="plan",
            issued_on="2019-03-01",
        )
    )
    listing = client.get(f"/groups/{group.slug}/documents/").get_data(as_text=True)
    assert "Le rapport" in listing and "Le plan" in listing
    assert "Réunion de janvier" in listing  # the minutes are in the docuthèque
    by_tag = client.get(f"/groups/{group.slug}/documents/?tag=plan").get_data(as_text=True)
    assert "Le plan" in by_tag and "Le rapport" not in by_tag
    by_kind = client.get(f"/groups/{group.slug}/documents/?kind=pdf").get_data(as_text=True)
    assert "Le rapport" in by_kind and "Le plan" not in by_kind
    # Latest added first (the plan), or by the documents' own date (the report's 2024).
    latest = client.get(f"/groups/{group.slug}/documents/").get_data(as_text=True)
    assert latest.index("Le plan") < latest.index("Le rapport")
    by_date = client.get(f"/groups/{group.slug}/documents/?sort=date").get_data(as_text=True)
    assert by_date.index("Le rapport") < by_date.index("Le plan")


def test_the_export_lists_what_the_user_uploaded(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    document_id(upload(client, group.slug, PDF))
    export = client.get("/account/export.json").get_json()
    [entry] = export["documents_uploaded"]
    assert entry["title"] == "Rapport Romeurope"
    assert entry["sha256"] == hashlib.sha256(PDF).hexdigest()


@BOTH
def test_a_name_in_any_language_is_offered_back_on_download(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, PDF, filename="Compte rendu école.pdf"))
    response = client.get(f"/documents/{doc_id}/download", buffered=True)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Compte%20rendu%20%C3%A9cole.pdf" in disposition
    assert response.headers["Content-Length"] == str(len(PDF))


def test_the_description_is_markdown_through_the_sanitizer(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    doc_id = document_id(
        upload(
            client,
            group.slug,
            PDF,
            description="Le **rapport**<script>alert(1)</script> [lien](javascript:alert(1))",
        )
    )
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "<strong>rapport</strong>" in page
    assert "<script>alert(1)" not in page
    assert 'href="javascript:' not in page


def test_a_refused_edit_comes_back_with_what_was_typed(client, db, people):
    group, member, _, _ = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, PDF))
    form = client.get(f"/documents/{doc_id}/edit").get_data(as_text=True)
    assert 'value="rapport, logement"' in form
    response = client.post(
        f"/documents/{doc_id}/edit",
        data={
            "csrf_token": csrf_token(client, f"/documents/{doc_id}/edit"),
            "title": "",
            "tags": "un, " + "x" * 40,
            "source": "Préfecture",
            "visibility": "site",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Préfecture"' in page and "x" * 40 in page
    assert db.session.get(Document, doc_id).title == "Rapport Romeurope"
