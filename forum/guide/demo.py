"""The demo's solidarity guides: only facts the sources give (a figure, a tariff rule, the
collectives they name). What they do not say (addresses, phones, hours) is left empty:
an invented phone number in a guide sends someone in need to a stranger."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from forum.accounts import services as accounts
from forum.extensions import db
from forum.groups.models import Commune
from forum.guide import services
from forum.guide.models import Proposal, Resource

LETTER_DAY = datetime(2026, 3, 4, 12, tzinfo=UTC)  # the answer to the collective's letter

SHELTER_92 = {
    "kind": "shelter",
    "name": "Centres d'hébergement des Hauts-de-Seine (hors hôtel)",
    "conditions": "310 places dans le département au 31/12/2024 (Observatoire précarité "
    "mal logement 92).",
}
ROMEUROPE_92 = {
    "kind": "legal",
    "name": "LDH – Romeurope 92 sud",
    "conditions": "Accompagne les familles roms du Petit-Clamart dans leurs démarches, vers "
    "un toit (projet MOUS).",
}
# insee -> (who enters them, [(values, checked: "letter" | "today")])
GUIDES = {
    "92023": (
        "claire@example.org",
        [
            (
                {
                    "kind": "canteen",
                    "name": "Restauration scolaire des écoles communales",
                    "conditions": "Tarif calculé selon le quotient familial de la famille.",
                },
                "letter",
            ),
            (SHELTER_92, "letter"),
            (ROMEUROPE_92, "today"),
            (
                {
                    "kind": "other",
                    "name": "Soliguide",
                    "conditions": "Guide en ligne qui rassemble les services solidaires ; "
                    "sa mise à jour régulière est demandée à la commune.",
                },
                "letter",
            ),
        ],
    ),
    "92048": ("admin@example.org", [(ROMEUROPE_92, "letter"), (SHELTER_92, "letter")]),
    "92019": ("admin@example.org", [(ROMEUROPE_92, "letter"), (SHELTER_92, "letter")]),
}
# A member's proposal waiting for Clamart's coordinators.
PENDING = (
    "92023",
    "karim@example.org",
    {
        "kind": "other",
        "name": "Collectif Citoyens Fraternels 92",
        "conditions": "Collectif qui demande à la mairie une page d'information solidarité "
        "dans le journal municipal.",
    },
    "Ils ont écrit aux listes candidates le 13 février 2026.",
)


def load_guides() -> None:
    """The guides of the demo communes, once each (a commune with entries is left alone)."""
    for insee, (email, entries) in GUIDES.items():
        commune = db.session.scalar(select(Commune).where(Commune.insee == insee))
        if commune is None or _has_guide(commune):
            continue
        author = accounts.find_by_email(email)
        for values, checked in entries:
            proposal = services.propose_new(author, commune, values)
            if checked == "letter":
                resource = db.session.get(Resource, proposal.resource_id)
                resource.checked_at = LETTER_DAY
        if insee == PENDING[0]:
            _, proposer, values, note = PENDING
            services.propose_new(accounts.find_by_email(proposer), commune, values, note)


def _has_guide(commune: Commune) -> bool:
    return bool(
        db.session.scalar(select(Resource.id).where(Resource.commune_id == commune.id).limit(1))
        or db.session.scalar(select(Proposal.id).where(Proposal.commune_id == commune.id).limit(1))
    )
