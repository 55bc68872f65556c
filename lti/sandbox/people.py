"""Deterministic, realistic names for seeded people (the same seed gives the same class)."""

from __future__ import annotations

GIVEN_NAMES = (
    "Amara", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Isabel", "Jonas",
    "Keira", "Liam", "Maya", "Nikhil", "Olivia", "Pablo", "Quinn", "Rosa", "Samir", "Tessa",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Camille", "Diego",
    "Eva", "Felix", "Greta", "Hassan", "Ines", "Jamal", "Kaito", "Lena", "Mateo", "Nadia",
    "Oscar", "Priya", "Rafael", "Sofia", "Tomas", "Uma", "Viktor", "Wanjiru", "Yara", "Zain",
    "Anouk", "Bilal", "Clara", "Dara", "Emeka", "Freya", "Gabriel", "Hana", "Ivan", "Julia",
)
FAMILY_NAMES = (
    "Okafor", "Schmidt", "Nguyen", "Garcia", "Kowalski", "Haddad", "Tanaka", "Silva",
    "Andersson", "Moreau", "Rossi", "Patel", "Kim", "Murphy", "Novak", "Costa", "Ivanova",
    "Mensah", "Dubois", "Yilmaz", "Fischer", "Lopez", "Chen", "Kaur", "Johansson", "Petrov",
    "Ali", "Walker", "Sato", "Bianchi", "Horvat", "Nakamura", "Oliveira", "Rahman", "Larsen",
    "Abebe", "Jansen", "Popescu", "Cohen", "Fernandez", "Wright", "Lindqvist", "Mwangi",
    "Santos", "Kovacs", "Zhang", "Papadopoulos", "Ortiz", "Khan", "Bauer", "Eriksen",
    "Adeyemi", "Vargas", "Reyes", "Sharma", "Nielsen", "Ferreira", "Ito", "Lambert", "Young",
)


def person(index: int) -> tuple[str, str]:
    """The ``index``-th (given, family) pair; the first 3,600 pairs are all distinct."""
    n = len(GIVEN_NAMES)
    given = GIVEN_NAMES[index % n]
    family = FAMILY_NAMES[(index % n + index // n) % len(FAMILY_NAMES)]
    return given, family


def email_for(given: str, family: str, index: int, domain: str = "example.edu") -> str:
    """``given.family@domain``, numbered once the name pairs repeat."""
    suffix = "" if index < len(GIVEN_NAMES) * len(FAMILY_NAMES) else str(index)
    return f"{given}.{family}{suffix}@{domain}".lower()
