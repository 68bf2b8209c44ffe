"""Demo data drawn from the sources: communes of the southern Hauts-de-Seine, their groups,
and a few people with each role. Loading it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from forum.accounts import services as accounts
from forum.extensions import db
from forum.groups import services as groups
from forum.groups.models import Commune, Group, Role

COMMUNES = [
    ("92023", "Clamart", "92"),
    ("92048", "Meudon", "92"),
    ("92019", "Châtenay-Malabry", "92"),
    ("78640", "Vélizy-Villacoublay", "78"),
    ("91534", "Saclay", "91"),
]

GROUPS = [
    (
        "ldh-clamart",
        "Section LDH de Clamart",
        "92023",
        "La section locale de la Ligue des droits de l'Homme. Elle porte auprès de la mairie "
        "de Clamart la demande d'un terrain pour un village d'insertion.",
    ),
    (
        "collectif-petit-clamart",
        "Collectif des habitants du Petit-Clamart",
        "92023",
        "Des habitants du quartier, voisins du terrain des « 50 arpents » le long de la N118.",
    ),
    (
        "solidarite-meudon",
        "Solidarité Roms Meudon",
        "92048",
        "Riverains et associations de Meudon : accompagnement scolaire et démarches.",
    ),
    (
        "chatenay-solidaire",
        "Châtenay solidaire",
        "92019",
        "Groupe local de Châtenay-Malabry : aide alimentaire, santé, lien avec le CCAS.",
    ),
    (
        "velizy-accueil",
        "Vélizy accueil",
        "78640",
        "Habitants de Vélizy-Villacoublay qui connaissent les familles depuis les magasins "
        "où elles faisaient la manche.",
    ),
    (
        "saclay-citoyens",
        "Citoyens de Saclay",
        "91534",
        "Le groupe de Saclay, à l'origine de la docuthèque partagée.",
    ),
    (
        "romeurope-sud-92",
        "Collectif Romeurope Sud 92",
        None,
        "Le collectif qui fédère les groupes locaux du sud des Hauts-de-Seine autour du projet "
        "MOUS : un toit pour les quinze familles expulsées.",
    ),
]

# (e-mail, display name, {group slug: role}, site admin)
PEOPLE = [
    ("admin@example.org", "Admin du site", {}, True),
    (
        "claire@example.org",
        "Claire",
        {"ldh-clamart": Role.COORDINATOR, "romeurope-sud-92": Role.MEMBER},
        False,
    ),
    (
        "karim@example.org",
        "Karim",
        {"ldh-clamart": Role.KEEPER, "collectif-petit-clamart": Role.MEMBER},
        False,
    ),
    (
        "odile@example.org",
        "Odile",
        {"romeurope-sud-92": Role.COORDINATOR, "solidarite-meudon": Role.MEMBER},
        False,
    ),
    ("paul@example.org", "Paul", {"solidarite-meudon": Role.MEMBER}, False),
    (
        "ines@example.org",
        "Inès",
        {"saclay-citoyens": Role.MEMBER, "velizy-accueil": Role.MEMBER},
        False,
    ),
]

# (group slug, title, [(author e-mail, Markdown body), ...]): the first post opens the thread.
THREADS = [
    (
        "romeurope-sud-92",
        "Un toit pour les quinze familles : où en est-on ?",
        [
            (
                "odile@example.org",
                "Le dimanche 27 février, nous étions une vingtaine sur le terrain des "
                "« 50 arpents », le long de la N118. Quinze familles allaient être "
                "expulsées.\n\nNous avons promis de leur trouver un toit. La voie choisie : "
                "une **MOUS** (maîtrise d'œuvre urbaine et sociale) qui fédère associations, "
                "communes, département, région et préfecture.",
            ),
            (
                "claire@example.org",
                "La section LDH de Clamart demande un rendez-vous en mairie. @odile, "
                "peux-tu partager le rapport de Romeurope dans la docuthèque ?",
            ),
            (
                "paul@example.org",
                "> Nous avons promis de leur trouver un toit.\n\nÀ Meudon, plusieurs voisins "
                "proposent un accompagnement scolaire pour les enfants.",
            ),
        ],
    ),
    (
        "ldh-clamart",
        "Préparer la rencontre avec la mairie de Clamart",
        [
            (
                "claire@example.org",
                "Points à porter :\n\n1. un terrain pour un village d'insertion ;\n"
                "2. la scolarisation des enfants ;\n3. l'accès aux soins.",
            ),
            ("karim@example.org", "Je peux venir. Il faut aussi parler de la cantine scolaire."),
        ],
    ),
]

DEMO_PASSWORD = "toits-solidaires-demo"  # noqa: S105 - printed on purpose, demo only


def load_demo() -> list[tuple[str, str]]:
    """Create what is missing; return the (e-mail, role summary) of the demo accounts."""
    communes: dict[str, Commune] = {}
    for insee, name, department in COMMUNES:
        commune = db.session.scalar(select(Commune).where(Commune.insee == insee))
        communes[insee] = commune or groups.create_commune(
            insee=insee, name=name, department=department
        )

    by_slug: dict[str, Group] = {}
    for slug, name, insee, description in GROUPS:
        group = db.session.scalar(select(Group).where(Group.slug == slug))
        by_slug[slug] = group or groups.create_group(
            name=name,
            slug=slug,
            commune=communes[insee] if insee else None,
            description=description,
        )

    summary = []
    for email, display_name, roles, admin in PEOPLE:
        user = accounts.find_by_email(email)
        if user is None:
            user = accounts.create_user(
                email, display_name, DEMO_PASSWORD, verified=True, admin=admin
            )
        for slug, role in roles.items():
            if groups.membership(user, by_slug[slug]) is None:
                groups.set_role(user, by_slug[slug], role)
        described = ", ".join(f"{r.value} {s}" for s, r in roles.items()) or "site admin"
        summary.append((email, described))

    _load_threads(by_slug)
    _load_project(by_slug)
    _load_meetings(by_slug)
    _load_contact_log(by_slug)
    from forum.guide.demo import load_guides

    load_guides()
    from forum.documents.demo import load_documents

    load_documents()
    return summary


def _load_threads(by_slug: dict[str, Group]) -> None:
    """Start the demo threads that are not there yet (matched by title)."""
    from forum.discussions import services as discussions
    from forum.discussions.models import Thread
    from forum.reactions import services as reactions

    for slug, title, posts in THREADS:
        group = by_slug[slug]
        if db.session.scalar(
            select(Thread.id).where(Thread.group_id == group.id, Thread.title == title)
        ):
            continue
        (first_author, first_body), *replies = posts
        thread = discussions.create_thread(
            accounts.find_by_email(first_author), group, title=title, body=first_body
        )
        opening = discussions.post_by_number(thread, 1)
        thanked = {opening.author_id}  # those who answer thank the opening post, once
        for author, body in replies:
            member = accounts.find_by_email(author)
            discussions.reply(member, thread, body=body)
            if member.id not in thanked:
                thanked.add(member.id)
                reactions.toggle(member, opening, "thanks")


# The MOUS project of the sources: its forms of help (key, label as the groups wrote it).
PROJECT_SLUG = "un-toit-pour-quinze-familles"
HELP_KINDS = [
    ("shelter", "Hébergement temporaire"),
    ("transport", "Transport"),
    ("translation", "Traduction (roumain, bulgare…)"),
    ("school", "Accompagnement scolaire"),
    ("health", "Accompagnement aux rendez-vous de santé"),
    ("paperwork", "Démarches administratives et juridiques"),
    ("work", "Emploi et formation"),
    ("gifts", "Dons en nature"),
    ("meetings", "Présence aux réunions et négociations"),
    ("fundraising", "Collecte de fonds"),
]
# (e-mail, forms of help, hours a month, commune, availability, threshold, show name)
PLEDGES = [
    ("claire@example.org", ["meetings", "paperwork"], 12, "92023", ["evenings"], None, True),
    ("karim@example.org", ["transport", "gifts"], 6, "92023", ["weekends"], None, False),
    ("paul@example.org", ["school"], 8, "92048", ["weekdays", "evenings"], None, True),
    ("ines@example.org", ["translation", "health"], 4, "91534", ["weekends"], 5, True),
]


def _load_project(by_slug: dict[str, Group]) -> None:
    """The MOUS project, its news thread and a few pledges (one conditional), once."""
    from datetime import date

    from forum.discussions.models import Thread
    from forum.projects import services as projects
    from forum.projects.models import Project

    if db.session.scalar(select(Project.id).where(Project.slug == PROJECT_SLUG)):
        return
    news = db.session.scalar(select(Thread).where(Thread.title == THREADS[0][1]))
    project = projects.create_project(
        title="Un toit pour quinze familles",
        slug=PROJECT_SLUG,
        goal="reloger 15 familles",
        description=(
            "Une **MOUS** (maîtrise d'œuvre urbaine et sociale) pour les quinze familles "
            "expulsées du terrain des « 50 arpents » : trouver un terrain, bâtir un village "
            "d'insertion, scolariser les enfants, accompagner vers l'emploi. Associations, "
            "communes, département, région et préfecture y travaillent ensemble."
        ),
        groups=list(by_slug.values()),
        help_kinds=HELP_KINDS,
        target_participants=60,
        starts_on=date(2026, 3, 1),
        ends_on=date(2029, 12, 31),
        news_thread=news,
    )
    for email, kinds, hours, insee, availability, threshold, show in PLEDGES:
        projects.save_pledge(
            accounts.find_by_email(email),
            project,
            projects.PledgeData(
                help_kinds=kinds,
                hours_per_month=hours,
                commune=insee,
                availability=availability,
                show_name=show,
                threshold=threshold,
            ),
        )


def _next_weekday(start, weekday: int, nth: int):
    """The `nth` `weekday` (0: Monday) of the first month after `start` that has it ahead."""
    from datetime import date, timedelta

    month = date(start.year, start.month, 1)
    while True:
        first = month + timedelta(days=(weekday - month.weekday()) % 7)
        day = first + timedelta(weeks=nth - 1)
        if day > start:
            return day
        month = (month + timedelta(days=32)).replace(day=1)


def _load_meetings(by_slug: dict[str, Group]) -> None:
    """A monthly series and a one-off to come, a past meeting with minutes and two
    decisions, a few answers; matched by group and title, so loading twice adds nothing."""
    from datetime import datetime, time, timedelta

    from forum.meetings import minutes
    from forum.meetings import services as meetings
    from forum.meetings.models import PARIS, Meeting

    def exists(group: Group, title: str) -> bool:
        return bool(
            db.session.scalar(
                select(Meeting.id).where(Meeting.group_id == group.id, Meeting.title == title)
            )
        )

    def at(day, hour: int, minute: int = 0):
        return meetings.from_paris(datetime.combine(day, time(hour, minute)))

    claire = accounts.find_by_email("claire@example.org")
    odile = accounts.find_by_email("odile@example.org")
    karim = accounts.find_by_email("karim@example.org")
    today = datetime.now(PARIS).date()

    clamart = by_slug["ldh-clamart"]
    title = "Réunion mensuelle de la section"
    if not exists(clamart, title):
        start = at(_next_weekday(today, 1, 2), 19)  # the second Tuesday, 19:00
        first = meetings.create_meeting(
            claire,
            clamart,
            meetings.MeetingData(
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                location="Maison des associations, Clamart",
                agenda="1. Nouvelles des familles\n2. Suivi du rendez-vous en mairie\n"
                "3. Scolarisation des enfants",
            ),
            repeat="monthly",
            count=12,
        )
        meetings.answer(karim, first, "yes")

    federation = by_slug["romeurope-sud-92"]
    title = "Point d'étape du projet MOUS"
    if not exists(federation, title):
        start = at(today + timedelta(days=10), 18, 30)
        one_off = meetings.create_meeting(
            odile,
            federation,
            meetings.MeetingData(
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                location="Salle paroissiale, Châtenay-Malabry",
                online_url="https://visio.example.org/mous-sud-92",
                agenda="Où en sont les demandes de terrain auprès des communes ? "
                "Qui accompagne les familles aux rendez-vous de la préfecture ?",
                capacity=30,
            ),
        )
        meetings.answer(claire, one_off, "yes")
        meetings.answer(accounts.find_by_email("paul@example.org"), one_off, "maybe")

    title = "Préparation du rendez-vous en mairie"
    if not exists(clamart, title):
        day = today - timedelta(days=12)
        start = at(day, 19)
        past = meetings.create_meeting(
            claire,
            clamart,
            meetings.MeetingData(
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                location="Maison des associations, Clamart",
            ),
            now=start - timedelta(days=7),
        )
        minutes.save_minutes(
            claire,
            past,
            body="Nous étions sept. Trois points à porter en mairie : un terrain pour un "
            "village d'insertion, la scolarisation des enfants, l'accès aux soins.",
            present={claire.id, karim.id},
            decisions=[
                minutes.DecisionData(
                    "Écrire au maire pour demander un rendez-vous",
                    day + timedelta(days=20),
                    owner_id=karim.id,
                ),
                minutes.DecisionData(
                    "Transmettre la liste des enfants à inscrire à l'école",
                    day + timedelta(days=30),
                    partner="Mairie de Clamart, service scolaire",
                ),
            ],
        )


# The contact log of LDH Clamart (kept by Karim): clearly fictional households, one of them
# overdue. (pseudonym, adults, children, in school, languages, living, [(days ago, channel,
# outcome, summary, needs, next contact in days)])
HOUSEHOLDS = [
    (
        "Famille Coquelicot (fictive)",
        2,
        3,
        2,
        "romani, roumain",
        "hotel",
        [
            (20, "visit", "reached", "Première rencontre à l'hôtel social.", ["school"], None),
            (6, "phone", "reached", "Inscription à l'école en cours.", ["health"], 14),
        ],
    ),
    (
        "Famille Mésange (fictive)",
        1,
        2,
        0,
        "bulgare",
        "camp",
        [
            (45, "visit", "reached", "Rencontre sur le terrain.", ["papers", "housing"], None),
            (40, "phone", "no_answer", "", [], None),
        ],
    ),
    (
        "Famille Tilleul (fictive)",
        2,
        1,
        1,
        "roumain, français",
        "insertion",
        [(3, "accompaniment", "reached", "Rendez-vous à la CAF.", [], 30)],
    ),
]


def _load_contact_log(by_slug: dict[str, Group]) -> None:
    """Three fictional households with their contacts, once (the group's log empty)."""
    from datetime import timedelta

    from forum.contactlog import casework
    from forum.contactlog import services as contactlog
    from forum.contactlog.models import Household

    group = by_slug["ldh-clamart"]
    if db.session.scalar(select(Household.id).where(Household.group_id == group.id).limit(1)):
        return
    keeper = accounts.find_by_email("karim@example.org")
    today = contactlog.today()
    for pseudonym, adults, children, school, languages, living, contacts in HOUSEHOLDS:
        household = contactlog.create_household(
            keeper,
            group,
            contactlog.HouseholdData(
                pseudonym=pseudonym,
                adults=adults,
                children=children,
                children_in_school=school,
                languages=languages,
                living=living,
                consent=True,
                consent_on=today - timedelta(days=60),
                consent_how="interpreter",
            ),
        )
        casework.add_phase(keeper, household, "diagnosis", today - timedelta(days=60))
        for days, channel, outcome, summary, needs, next_in in contacts:
            day = today - timedelta(days=days)
            casework.log_contact(
                keeper,
                household,
                casework.ContactData(
                    happened_on=day,
                    channel=channel,
                    outcome=outcome,
                    summary=summary,
                    needs=needs,
                    next_contact_on=day + timedelta(days=next_in) if next_in else None,
                ),
            )
