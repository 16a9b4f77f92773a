"""Public verification codes: short, unguessable, easy to read aloud and to type.

Ten characters from an alphabet without look-alikes (no 0/O, 1/I/L, no U) give about 49 bits:
guessing one among a million issued codes takes hundreds of millions of tries, which the
verification page's rate limit makes impractical.
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
GROUP = 5


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display_code(code: str) -> str:
    """ABCDE-FGHJK: easier to copy in two halves."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(typed: str) -> str | None:
    """The code as stored, from what someone typed (case, spaces and dashes aside), or None
    when it cannot be a code (then nothing is looked up)."""
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code
