"""The docuthèque in a real Chromium, in French: a member uploads a PDF from the group
page and a visitor finds it by a word of its page 3; a members-only document stays a 404
for a visitor who has its URL, its page and its file alike."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in
from tests.documents_support import make_pdf

REPORT = make_pdf(
    [
        "Rapport annuel sur les bidonvilles",
        "Sommaire et méthode",
        "Les pages 74 à 94 : la scolarisation des enfants vivant en squat",
    ]
)


def seed(live_server) -> dict:
    with live_server.seed() as f:
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart")
        claire = f.make_user("claire@example.org", name="Claire")
        f.add_member(claire, group)
        return {"slug": group.slug, "claire": claire.email}


def upload(page: Page, slug: str, path, title: str, visibility: str) -> str:
    page.goto(f"/groups/{slug}/")
    page.get_by_role("link", name="Ajouter un document").first.click()
    page.get_by_label("Fichier").set_input_files(str(path))
    page.get_by_label("Titre").fill(title)
    page.get_by_label("Étiquettes").fill("rapport, école")
    page.get_by_label(visibility).check()
    page.get_by_role("button", name="Envoyer le document").click()
    expect(page.get_by_role("status").first).to_contain_text("Le document est dans la docuthèque.")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url


def test_upload_a_pdf_and_find_it_by_a_word_of_its_page_3(new_context, live_server, tmp_path):
    seeded = seed(live_server)
    path = tmp_path / "rapport-romeurope.pdf"
    path.write_bytes(REPORT)
    claire = new_context().new_page()
    sign_in(claire, seeded["claire"])
    url = upload(claire, seeded["slug"], path, "Rapport Romeurope 2024", "Tout le monde")
    expect(claire.get_by_text("3 pages")).to_be_visible()

    visitor = new_context().new_page()
    visitor.goto("/")
    visitor.get_by_role("banner").get_by_role("searchbox").fill("scolarisation")
    visitor.get_by_role("banner").get_by_role("button", name="Rechercher").click()
    results = visitor.get_by_role("region", name="Documents")
    expect(results.get_by_role("link", name="Rapport Romeurope 2024")).to_be_visible()
    expect(results).to_contain_text("page 3")
    expect(results.locator("mark").first).to_have_text("scolarisation")
    results.get_by_role("link", name="Rapport Romeurope 2024").click()
    assert visitor.url == url
    # The file downloads as an attachment, the bytes sent.
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Télécharger").click()
    assert download.value.suggested_filename == "rapport-romeurope.pdf"
    assert Path(download.value.path()).read_bytes() == REPORT


def test_a_visitor_cannot_open_a_members_only_document_by_its_url(
    new_context, live_server, tmp_path
):
    seeded = seed(live_server)
    path = tmp_path / "note.pdf"
    path.write_bytes(make_pdf(["Note interne du groupe"]))
    claire = new_context().new_page()
    sign_in(claire, seeded["claire"])
    url = upload(claire, seeded["slug"], path, "Note interne", "Les membres de ce groupe seulement")

    visitor = new_context().new_page()
    for address in (url, url + "/download", url + "/download?version=1"):
        response = visitor.goto(address)
        assert response.status == 404, address
        expect(visitor.get_by_role("heading", level=1)).to_contain_text("introuvable")
        expect(visitor.locator("body")).not_to_contain_text("Note interne")
    visitor.goto(f"/groups/{seeded['slug']}/documents/")
    expect(visitor.get_by_role("main")).not_to_contain_text("Note interne")
