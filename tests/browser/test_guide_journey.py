"""The solidarity guide in a real Chromium, in French: the demo guide of Clamart prints on
at most two A4 sheets (Chromium's own PDF of the print media), and a member's proposal
goes through the forms to a coordinator who accepts it."""

from __future__ import annotations

import io
import unicodedata

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.helpers import sign_in

_axe = Axe()


def serious_axe_findings(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page, as "rule: node" lines."""
    violations = _axe.run(page).response["violations"]
    return [
        f"{v['id']}: {node['html'][:120]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


def test_the_demo_guide_prints_on_two_a4_sheets_at_most(new_context, live_server, tmp_path):
    with live_server.app.app_context():
        from forum.demo import load_demo
        from forum.extensions import db

        load_demo()
        db.session.commit()
    page = new_context().new_page()
    page.goto("/communes/92023/guide")
    page.get_by_role("link", name="Version à imprimer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Guide solidarité de Clamart")
    expect(page.get_by_role("navigation")).to_have_count(0)  # no navigation on the sheet

    page.emulate_media(media="print")
    expect(page.get_by_text("Imprimez cette page")).to_be_hidden()  # screen-only hint
    shot = tmp_path / "guide-clamart-print.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    # Large type: the entries' text is at least 14 points (18.6 CSS pixels) in print.
    size = page.locator("article.entry p").first.evaluate("e => getComputedStyle(e).fontSize")
    assert float(size.removesuffix("px")) >= 18.6

    pdf = page.pdf(format="A4", print_background=False)
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    # NFKC: the PDF's text has typographic ligatures ("ﬁ").
    text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in reader.pages))
    assert "Restauration scolaire des écoles communales" in text
    assert "Soliguide (à vérifier)" in text  # checked in March: marked
    (tmp_path / "guide-clamart.pdf").write_bytes(pdf)


def test_a_member_proposes_an_entry_and_a_coordinator_accepts_it(new_context, live_server):
    with live_server.seed() as f:
        clamart = f.make_commune("92023", "Clamart")
        group = f.make_group("ldh-clamart", name="Section LDH de Clamart", commune=clamart)
        claire = f.make_user("claire@example.org", name="Claire")
        karim = f.make_user("karim@example.org", name="Karim")
        f.add_member(claire, group, "coordinator")
        f.add_member(karim, group)

    member = new_context().new_page()
    sign_in(member, "karim@example.org")
    member.goto("/communes/92023/")
    member.get_by_role("link", name="Lire le guide solidarité de Clamart").click()
    member.get_by_role("link", name="Proposer une nouvelle fiche").click()
    member.get_by_label("Type de service").select_option(label="Cours de français")
    member.get_by_label("Nom").fill("Atelier de conversation")
    member.get_by_label("Téléphone").fill("01 46 12")  # a digit short: refused
    member.get_by_label("Horaires d'ouverture").fill("Jeudi 18 h – 20 h")
    member.get_by_role("button", name="Envoyer la proposition").click()
    expect(member.get_by_text("Ce n'est pas un numéro de téléphone français")).to_be_visible()
    expect(member.get_by_label("Nom")).to_have_value("Atelier de conversation")
    expect(member.get_by_label("Horaires d'ouverture")).to_have_value("Jeudi 18 h – 20 h")
    expect(member.get_by_label("Téléphone")).to_have_attribute("aria-invalid", "true")
    assert serious_axe_findings(member) == []
    member.get_by_label("Téléphone").fill("+33 1 46 12 34 56")
    member.get_by_role("button", name="Envoyer la proposition").click()
    expect(member.get_by_role("status")).to_contain_text("vont lire votre proposition")
    expect(
        member.get_by_role("heading", name="Vos propositions en attente de décision")
    ).to_be_visible()

    coordinator = new_context().new_page()
    sign_in(coordinator, "claire@example.org")
    coordinator.goto("/communes/92023/guide")
    coordinator.get_by_role("link", name="1 proposition attend votre décision").click()
    proposal = coordinator.get_by_role("region", name="Nouvelle fiche : Atelier de conversation")
    expect(proposal).to_contain_text("01 46 12 34 56")
    proposal.get_by_role("button", name="Accepter").click()
    expect(coordinator.get_by_role("status")).to_contain_text("Acceptée")

    member.goto("/communes/92023/guide")
    assert serious_axe_findings(member) == []
    member.set_viewport_size({"width": 375, "height": 740})  # a phone: nothing wider
    assert member.evaluate("document.documentElement.scrollWidth") <= 375
    entry = member.get_by_role("article", name="Atelier de conversation")
    expect(entry).to_contain_text("Jeudi 18 h – 20 h")
    expect(member.get_by_role("region", name="Cours de français")).to_contain_text(
        "Atelier de conversation"
    )
    expect(entry.get_by_role("link", name="01 46 12 34 56")).to_have_attribute(
        "href", "tel:0146123456"
    )
    member.goto("/notifications")
    expect(member.get_by_role("main")).to_contain_text(
        "Votre proposition pour le guide solidarité de Clamart est acceptée"
    )
