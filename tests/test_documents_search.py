"""The text of documents in the search (PDF page numbers, visibility respected), read
after the commit in a limited child process; documents linked from posts shown as cards."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from forum.discussions import services as discussions
from forum.documents.models import DocumentText, DocumentVersion
from tests.conftest import csrf_token, login_as
from tests.documents_support import PNG, make_docx, make_pdf, slow_pdf
from tests.factories import add_member, make_group, make_user
from tests.test_documents import document_id, upload

REPORT = make_pdf(
    [
        "Sommaire du rapport annuel",
        "Introduction : les bidonvilles en France",
        "Les pages 74 à 94 traitent de la scolarisation des enfants",
    ]
)


@pytest.fixture
def app(request, make_app):
    """The test's app, with the settings a test gives as its parameter."""
    app = make_app(**(getattr(request, "param", None) or {}))
    with app.app_context():
        yield app


@pytest.fixture
def people(db):
    group = make_group()
    member = make_user(name="Membre")
    add_member(member, group)
    db.session.commit()
    return group, member


def search(client, q, **args):
    return client.get("/search", query_string={"q": q, **args}).get_data(as_text=True)


def test_a_word_of_page_3_finds_the_pdf_with_its_page_number(client, db, people):
    group, member = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, REPORT, title="Rapport 2024"))
    assert db.session.scalar(select(DocumentVersion.text_status)) == "done"
    page = search(client.application.test_client(), "scolarisation")
    assert f'href="/documents/{doc_id}"' in page
    assert "page 3" in page
    assert "<mark>scolarisation</mark>" in page
    # The stems match other forms of the word, as in the forum's search.
    assert f'href="/documents/{doc_id}"' in search(client, "scolariser enfant")
    assert f'href="/documents/{doc_id}"' not in search(client, "scolarisation logement")
    # In the group, and not in another group.
    assert f'href="/documents/{doc_id}"' in search(client, "scolarisation", group=group.slug)
    other = make_group()
    db.session.commit()
    assert f'href="/documents/{doc_id}"' not in search(client, "scolarisation", group=other.slug)


@pytest.mark.parametrize(
    ("visibility", "visitor", "account", "member"),
    [("public", True, True, True), ("site", False, True, True), ("group", False, False, True)],
)
def test_the_search_shows_a_document_only_to_whoever_may_see_it(
    app, client, db, people, visibility, visitor, account, member
):
    group, uploader = people
    outsider = make_user()
    db.session.commit()
    login_as(client, uploader)
    doc_id = document_id(upload(client, group.slug, REPORT, visibility=visibility))
    link = f'href="/documents/{doc_id}"'
    assert (link in search(app.test_client(), "bidonvilles")) is visitor
    browser = app.test_client()
    login_as(browser, outsider)
    assert (link in search(browser, "bidonvilles")) is account
    assert (link in search(client, "bidonvilles")) is member


def test_office_text_titles_and_tags_are_found_and_deleted_documents_are_not(client, db, people):
    group, member = people
    login_as(client, member)
    office = document_id(
        upload(client, group.slug, make_docx("Le protocole de coopération"), filename="p.docx")
    )
    image = document_id(
        upload(client, group.slug, PNG, filename="plan.png", title="Plan du terrain", tags="carte")
    )
    page = search(client, "coopération")
    assert f'href="/documents/{office}"' in page and "page " not in page.split("Documents")[-1]
    assert f'href="/documents/{image}"' in search(client, "terrain")
    assert f'href="/documents/{image}"' in search(client, "carte")
    token = csrf_token(client, f"/documents/{office}")
    client.post(f"/documents/{office}/delete", data={"csrf_token": token})
    assert f'href="/documents/{office}"' not in search(client, "coopération")


def test_a_new_version_replaces_the_text_found(client, db, people):
    from tests.test_documents import post_multipart

    group, member = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, REPORT))
    post_multipart(
        client,
        f"/documents/{doc_id}/versions",
        {
            "csrf_token": csrf_token(client, f"/documents/{doc_id}"),
            "file": (__import__("io").BytesIO(make_pdf(["Hébergement d'urgence"])), "v2.pdf"),
        },
    )
    assert f'href="/documents/{doc_id}"' in search(client, "hébergement")
    assert f'href="/documents/{doc_id}"' not in search(client, "scolarisation")


@pytest.mark.parametrize("app", [{"DOCUMENTS_READ_SECONDS": 1}], indirect=True)
def test_a_pdf_too_slow_to_read_is_kept_but_stays_out_of_the_search(client, db, people):
    """Its page tree is sound (accepted), its text would take many seconds: the child
    process is stopped at its CPU limit, the upload's page answered meanwhile."""
    group, member = people
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, slow_pdf(), title="Lent"))
    assert db.session.scalar(select(DocumentVersion.text_status)) == "failed"
    assert "son texte n’a pas pu être lu" in client.get(f"/documents/{doc_id}").get_data(
        as_text=True
    )
    assert db.session.scalars(select(DocumentText.page)).all() == [0]  # the card only
    assert f'href="/documents/{doc_id}"' in search(client, "lent")  # by its title


def test_flask_documents_read_catches_up_with_pending_text(app, client, db, people):
    group, member = people
    app.config["DOCUMENTS_READ_INLINE"] = False
    login_as(client, member)
    doc_id = document_id(upload(client, group.slug, REPORT))
    assert f'href="/documents/{doc_id}"' not in search(client, "scolarisation")
    result = app.test_cli_runner().invoke(args=["documents", "read"])
    assert "1 version" in result.output, result.output
    assert f'href="/documents/{doc_id}"' in search(client, "scolarisation")


def test_a_link_to_a_document_in_a_post_shows_as_a_card_to_whoever_may_see_it(
    app, client, db, people
):
    group, member = people
    login_as(client, member)
    public = document_id(upload(client, group.slug, REPORT, title="Rapport public"))
    private = document_id(
        upload(client, group.slug, REPORT, title="Note interne", visibility="group")
    )
    thread = discussions.create_thread(
        member,
        group,
        title="Lectures",
        body=f"À lire : http://localhost/documents/{public} et [la note](/documents/{private})",
    )
    db.session.commit()
    as_member = client.get(f"/threads/{thread.id}?page=1").get_data(as_text=True)
    assert 'class="document-card"' in as_member
    assert "Rapport public" in as_member and "Note interne" in as_member
    as_visitor = app.test_client().get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Rapport public" in as_visitor
    assert "Note interne" not in as_visitor  # the link stays, the title is not told
    assert f"/documents/{private}" in as_visitor


def test_the_demo_founding_call_is_found_by_a_word_of_its_text_once(app, client, runner, db):
    from forum.documents.demo import TITLE
    from forum.documents.models import Document

    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).where(Document.title == TITLE)) == 1
    # A word of its body only (not of its title, description or tags), found by a visitor.
    page = client.get("/search?q=arpents").get_data(as_text=True)
    found = db.session.scalar(select(Document.id).where(Document.title == TITLE))
    assert f'href="/documents/{found}"' in page and "Agir pour un toit" in page
    assert re.search(r"50 <mark>arpents</mark>", page)
