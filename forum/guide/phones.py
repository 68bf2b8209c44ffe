"""French telephone numbers, as the numbering plan (ARCEP) allows them.

A number is written the way people write it ("01 46 12 34 56", "01.46.12.34.56",
"+33 1 46 12 34 56", "+33 (0)1 46 12 34 56", "0033 1 46 12 34 56") and stored in the one
way a French reader expects: ten digits in pairs. Overseas numbers (+262, +590, +594,
+596, +269, +508, +681, +687, +689) are French numbers too. Short numbers that a guide
lists (15, 17, 18, 112, 114, 115, 119, 116 000…, 3919, 3114…) are kept as they are.
Anything else (a digit too many or too few, a 00 after the leading 0, letters) is
impossible and refused.
"""

from __future__ import annotations

import re

# The country codes of France and its overseas parts, with the national prefix (after the
# 0) their numbers take: +262 692 12 34 56 is 0692 12 34 56.
_COUNTRY_CODES = ("33", "262", "269", "508", "590", "594", "596", "681", "687", "689")
_SEPARATORS = re.compile(r"[\s.\-/]+")
_SHORT = re.compile(r"^(1[578]|11[2459]|116\d{3}|119|19[1-7]|3\d{3})$")


class ImpossibleNumber(ValueError):
    """Not a number that can exist in France."""


def normalise(text: str) -> str:
    """The number in its stored form, or "" for an empty one; ImpossibleNumber otherwise."""
    raw = (text or "").strip()
    if not raw:
        return ""
    compact = _SEPARATORS.sub("", raw).replace("(0)", "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    national = _national(compact[1:]) if compact.startswith("+") else compact
    if not national.isdigit() or not national.isascii():
        raise ImpossibleNumber(raw)
    if _SHORT.match(national):
        return national
    # Ten digits: 0, then a digit from 1 to 9 (00 is the international prefix), then eight.
    if len(national) != 10 or national[0] != "0" or national[1] == "0":
        raise ImpossibleNumber(raw)
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


def _national(digits: str) -> str:
    """+33 1 46 12 34 56 -> 0146123456; a foreign country code is impossible here."""
    for code in _COUNTRY_CODES:
        rest = digits[len(code) :]
        if digits.startswith(code) and len(rest) == 9:
            return "0" + rest
    raise ImpossibleNumber(digits)


def tel_uri(phone: str) -> str:
    """The number as a tel: link, dialled as in France ("tel:0146123456")."""
    return "tel:" + phone.replace(" ", "")
