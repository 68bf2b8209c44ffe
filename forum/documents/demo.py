"""The demo's docuthèque: the collective's founding call, as an OpenDocument text that goes
through the same checks, storage and reading as an upload. Its words are the sources' own
account (the gathering of 27 February, what a MOUS is, where to read about it)."""

from __future__ import annotations

import io

from sqlalchemy import select

from forum.accounts import services as accounts
from forum.documents import services
from forum.documents.models import Document
from forum.extensions import db
from forum.groups.models import Group

TITLE = "Agir pour un toit : l'appel du 27 février"
GROUP = "ldh-clamart"
UPLOADER = "claire@example.org"
PARAGRAPHS = [
    "Le dimanche 27 février, une vingtaine d'habitants de Châtenay, Meudon, Saclay, Clamart "
    "et Vélizy se sont retrouvés sur le terrain des « 50 arpents », le long de la N118, en "
    "dessous du Petit-Clamart. Une quinzaine de familles roms allaient en être expulsées.",
    "Nous leur avons promis de leur trouver un toit, avec les habitats d'insertion des MOUS "
    "(maîtrise d'œuvre urbaine et sociale) : un dispositif qui fédère associations, communes, "
    "conseils généraux et régionaux et préfecture pour trouver un terrain, y construire un "
    "village d'insertion, scolariser les enfants et prévoir quelques emplois.",
    "De tels villages existent à Montreuil, en Seine-Saint-Denis, dans le Nord, près de "
    "Nantes. Pour les démarches, voir notamment les pages 74 à 94 du rapport de Romeurope.",
    "Comment faire ? Agir au niveau communal puis départemental : des groupes locaux, avec des "
    "membres de la LDH et d'associations humanitaires, assez implantés pour négocier avec les "
    "autorités.",
    "Le plus difficile sera de garder contact, pendant la longue durée du processus, avec les "
    "familles du Petit-Clamart.",
]


def _odt() -> bytes:
    from odfdo import Document as OpenDocument
    from odfdo import Header, Paragraph

    document = OpenDocument("text")
    document.body.clear()
    document.body.append(Header(1, TITLE))
    for text in PARAGRAPHS:
        document.body.append(Paragraph(text))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def load_documents() -> None:
    """Upload the founding call once, public, and read its text into the search now (no
    request ends here to do it after the commit)."""
    group = db.session.scalar(select(Group).where(Group.slug == GROUP))
    if group is None or db.session.scalar(
        select(Document.id).where(Document.group_id == group.id, Document.title == TITLE)
    ):
        return
    data = services.DocumentData(
        title=TITLE,
        description="L'appel fondateur du collectif : ce que nous avons promis aux familles, "
        "et comment.",
        tags=["appel", "mous"],
        visibility="public",
        source="Collectif Roms Petit-Clamart",
    )
    services.upload_document(
        accounts.find_by_email(UPLOADER), group, data, io.BytesIO(_odt()), "appel-27-fevrier.odt"
    )
    db.session.commit()
    services.extract_due()
