"""Building blocks of synthetic form exports: people, dates, tables and messiness.

Two generators use them: ``scripts/make_demo_export.py`` (the demo file shipped
with the app) and ``bench/make_messy_export.py`` (the loader benchmark). Every
random choice comes from the :class:`numpy.random.Generator` given by the
caller, so that a seed always gives the same rows, and no value depends on
today's date.

Places are drawn from the real reference geography, weighted by population:
see :mod:`scripts.synthetic_places`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

FIRST_NAMES: tuple[str, ...] = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sophie", "Céline", "Aurélie", "Stéphanie",
    "Sandrine", "Émilie", "Julie", "Camille", "Léa", "Chloé", "Manon", "Inès", "Sarah", "Élodie", "Valérie",
    "Claire", "Hélène", "Noémie", "Fatima", "Nadia", "Aïcha", "Jean", "Philippe", "Nicolas", "Julien",
    "Thomas", "Laurent", "Christophe", "David", "Pierre", "Lucas", "Hugo", "Karim", "Mohamed", "Frédéric",
    "Olivier", "Mathieu", "François", "Jérôme", "Sébastien", "Mamadou", "Yannick", "Loïc",
)
LAST_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "André", "Mercier",
    "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin",
    "Clément", "Morin", "Nguyen", "Diallo", "Benali", "Le Gall", "Hoarau", "Payet",
)
STREETS: tuple[str, ...] = (
    "rue de la République", "place de la Mairie", "avenue Jean Jaurès", "rue Victor Hugo",
    "boulevard Gambetta", "rue du Général de Gaulle", "place de l'Église", "rue Pasteur", "Grande Rue",
    "rue de la Gare", "avenue de la Libération", "rue des Écoles", "rue Jules Ferry", "allée des Tilleuls",
    "rue du Stade", "place du Marché", "rue Émile Zola", "chemin des Vignes", "rue de la Poste",
    "avenue du 8 Mai 1945",
)
# (template of the structure name, type of structure as a form offers it):
# "{of}" is "de" + the commune with French elision, "{name}" the commune.
STRUCTURE_KINDS: tuple[tuple[str, str], ...] = (
    ("Médiathèque {of}", "Médiathèque / bibliothèque"),
    ("France Services {name}", "France Services"),
    ("Centre social {name}", "Centre social"),
    ("EPN {of}", "Espace public numérique (EPN)"),
    ("Association Numérique {name}", "Association"),
)
FRENCH_MONTHS: tuple[str, ...] = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
# Prefix of the arrondissement codes -> city, for labels such as "Lyon 3ème".
ARRONDISSEMENT_PREFIXES: dict[str, str] = {"751": "Paris", "6938": "Lyon", "132": "Marseille"}

_SAINT = re.compile(r"\bSaint(e?)(?=[- ])")
_VOWEL_START = re.compile(r"^[AEIOUYÂÊÎÔÛÉÈÀ]", re.IGNORECASE)
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


# --------------------------------------------------------------------- people


def draw_people(rows: int, rng: np.random.Generator, domain: str) -> pd.DataFrame:
    """Draw people with common French names and fake contact details.

    Parameters
    ----------
    rows
        Number of people.
    rng
        Source of randomness.
    domain
        Domain of the e-mail addresses (use a reserved one, such as ``demo.invalid``).

    Returns
    -------
    pandas.DataFrame
        ``first_name``, ``last_name``, ``email`` (``prenom.nom@domain``, a
        number added from the second homonym on, so that every address is
        unique) and a fake ``phone`` (``0N 00 00 NN NN``).
    """
    first = np.array(FIRST_NAMES, dtype=object)[rng.integers(len(FIRST_NAMES), size=rows)]
    last = np.array(LAST_NAMES, dtype=object)[rng.integers(len(LAST_NAMES), size=rows)]
    word = {name: _email_word(name) for name in FIRST_NAMES + LAST_NAMES}
    local = pd.Series([f"{word[f]}.{word[n]}" for f, n in zip(first, last)])
    rank = local.groupby(local).cumcount().to_numpy() + 1
    email = [f"{name}{'' if n == 1 else n}@{domain}" for name, n in zip(local.tolist(), rank.tolist())]
    digits = rng.integers(0, 100, size=(rows, 2))
    prefix = rng.choice([1, 2, 3, 4, 5, 6, 7], size=rows, p=[0.1, 0.08, 0.08, 0.08, 0.06, 0.4, 0.2])
    phone = [f"0{p} 00 00 {a:02d} {b:02d}" for p, (a, b) in zip(prefix.tolist(), digits.tolist())]
    return text_frame({"first_name": first, "last_name": last, "email": email, "phone": phone})


def _email_word(name: str) -> str:
    return re.sub(r"[^a-z]+", "-", without_accents(name).lower()).strip("-")


def structure_names(communes: np.ndarray, kinds: np.ndarray) -> tuple[list[str], list[str]]:
    """Names and types of structures, such as ``Médiathèque du Havre``.

    Parameters
    ----------
    communes
        Commune of each structure.
    kinds
        Index in :data:`STRUCTURE_KINDS` of each structure.

    Returns
    -------
    tuple of list
        The structure names and their types.
    """
    pairs = list(zip(communes, kinds.tolist()))
    named = {
        (commune, kind): STRUCTURE_KINDS[kind][0].format(of=of_commune(commune), name=commune)
        for commune, kind in dict.fromkeys(pairs)
    }
    return [named[pair] for pair in pairs], [STRUCTURE_KINDS[kind][1] for _, kind in pairs]


def of_commune(name: str) -> str:
    """``de`` followed by a commune name, with French elision.

    Examples
    --------
    >>> of_commune("Le Havre"), of_commune("Les Abymes"), of_commune("Angers"), of_commune("La Rochelle")
    ('du Havre', 'des Abymes', "d'Angers", 'de La Rochelle')
    """
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if _VOWEL_START.match(name):
        return "d'" + name
    return "de " + name


def street_addresses(rows: int, rng: np.random.Generator) -> list[str]:
    """Street addresses without postcode, such as ``12 rue de la Gare``."""
    numbers = rng.integers(1, 121, size=rows)
    streets = np.array(STREETS, dtype=object)[rng.integers(len(STREETS), size=rows)]
    return [f"{number} {street}" for number, street in zip(numbers.tolist(), streets)]


def draw_theme_choices(rows: int, rng: np.random.Generator, shares: Mapping[str, float]) -> np.ndarray:
    """Draw which themes each row names.

    Parameters
    ----------
    rows
        Number of rows.
    rng
        Source of randomness.
    shares
        Theme slug -> share of the rows naming it, drawn independently. A row
        left without theme gets the first one.

    Returns
    -------
    numpy.ndarray
        Booleans: a line per row, a column per theme in the order of ``shares``.
    """
    chosen = rng.random((rows, len(shares))) < np.array(list(shares.values()))
    chosen[~chosen.any(axis=1), 0] = True
    return chosen


def multiple_choice_answers(
    options: Sequence[Sequence[str]], picked: np.ndarray, separators: Sequence[str], separator: np.ndarray
) -> np.ndarray:
    """Answers to a multiple-choice question, such as ``Café IA, Parentalité numérique``.

    Parameters
    ----------
    options
        Per option, the ways it is written.
    picked
        Integers, a line per answer and a column per option: 0 when the
        option is not chosen, else 1 + the index of its spelling in ``options``.
    separators
        The texts that join the chosen options.
    separator
        Per answer, the index of its separator in ``separators``.

    Returns
    -------
    numpy.ndarray
        One text per answer (object dtype).
    """
    # Few distinct answers among many rows: write each once.
    radix = 1 + max(len(spellings) for spellings in options)
    key = separator.astype(np.int64)
    for column in range(picked.shape[1]):
        key = key * radix + picked[:, column]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    texts = [
        separators[separator[row]].join(
            options[column][picked[row, column] - 1] for column in range(picked.shape[1]) if picked[row, column]
        )
        for row in first.tolist()
    ]
    return np.array(texts, dtype=object)[inverse]


# ---------------------------------------------------------------------- dates


def random_moments(rows: int, rng: np.random.Generator, start: datetime, end: datetime) -> pd.DatetimeIndex:
    """Moments to the second, on days drawn uniformly from ``start`` to ``end``, mostly in office hours.

    Parameters
    ----------
    rows
        Number of moments.
    rng
        Source of randomness.
    start, end
        First and last day (their times of day are ignored).

    Returns
    -------
    pandas.DatetimeIndex
        The moments, unsorted.
    """
    days = (end.date() - start.date()).days + 1
    day = pd.Timestamp(start.date()) + pd.to_timedelta(rng.integers(0, days, size=rows), unit="D")
    # People fill in professional forms at work: centred on 14:00, rarely at night.
    hour = np.clip(rng.normal(14.0, 2.8, size=rows), 0.0, 23.99)
    return pd.DatetimeIndex(day + pd.to_timedelta((hour * 3600).astype(int), unit="s"))


def french_datetimes(moments: pd.DatetimeIndex, seconds: bool = True) -> list[str]:
    """``dd/mm/yyyy HH:MM:SS`` (as a French Google Forms export writes its timestamps) or ``dd/mm/yyyy HH:MM``."""
    end = 19 if seconds else 16
    # Sliced from ISO text: strftime is ten times slower on 100,000 rows.
    return [f"{iso[8:10]}/{iso[5:7]}/{iso[:4]} {iso[11:end]}" for iso in iso_texts(moments, "s").tolist()]


def french_dates(days: pd.DatetimeIndex) -> list[str]:
    """``dd/mm/yyyy``."""
    return [f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" for iso in iso_texts(days, "D").tolist()]


def iso_texts(moments: pd.DatetimeIndex, unit: str) -> np.ndarray:
    """ISO 8601 texts (``2025-05-20`` for unit ``"D"``, ``2025-05-20T14:03:09`` for ``"s"``)."""
    return np.datetime_as_string(moments.to_numpy().astype(f"datetime64[{unit}]"), unit=unit)


def french_month_years(days: pd.DatetimeIndex) -> list[str]:
    """``mai 2025``: how people answer when they forgot the exact day."""
    return [f"{FRENCH_MONTHS[month - 1]} {year}" for month, year in zip(days.month.tolist(), days.year.tolist())]


# ------------------------------------------------------------------- tables


def text_frame(columns: Mapping[str, object]) -> pd.DataFrame:
    """A table whose text columns hold Python strings (object dtype).

    pandas would store them as Arrow strings: converting them back and forth
    costs more than generating 100,000 rows.
    """
    return pd.DataFrame(dict(columns), dtype=object)


def with_text(frame: pd.DataFrame, columns: Mapping[str, object]) -> pd.DataFrame:
    """``frame`` with text columns (arrays in row order, or one value for all rows) added or replaced.

    The columns hold Python strings, as in `text_frame`.
    """
    return frame.assign(
        **{name: pd.Series(values, index=frame.index, dtype=object) for name, values in columns.items()}
    )


# ------------------------------------------------------------------ messiness


def share_mask(rows: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask selecting about ``share`` of the rows at random."""
    return rng.random(rows) < share


def pick(choices: Sequence[str], rows: int, rng: np.random.Generator) -> np.ndarray:
    """One of ``choices`` per row, drawn uniformly (object dtype)."""
    return np.array(choices, dtype=object)[rng.integers(len(choices), size=rows)]


def sometimes(values: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """``values`` where a share of the rows answered, ``""`` elsewhere."""
    return np.where(share_mask(len(values), share, rng), values, "").astype(object)


def apply_where(values: np.ndarray, mask: np.ndarray, change: Callable[[str], str]) -> np.ndarray:
    """Copy of ``values`` with ``change`` applied where ``mask`` is true (once per distinct value)."""
    result = np.array(values, dtype=object)
    changed = {value: change(value) for value in dict.fromkeys(result[mask])}
    result[mask] = [changed[value] for value in result[mask]]
    return result


def without_accents(text: str) -> str:
    """``Évry-Courcouronnes`` → ``Evry-Courcouronnes``."""
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def abbreviate_saints(text: str) -> str:
    """``Saint-Denis`` → ``St-Denis``, ``Sainte-Marie`` → ``Ste-Marie``."""
    return _SAINT.sub(lambda match: "St" + match[1], text)


def without_leading_zero(code: str) -> str:
    """``01000`` → ``1000``, as a spreadsheet reading the code as a number writes it."""
    return code[1:] if code.startswith("0") else code


def arrondissement_label(code: str, suffix: str = "e") -> str:
    """Label of a municipal arrondissement as people write it.

    Examples
    --------
    >>> arrondissement_label("75111"), arrondissement_label("69383", "ème"), arrondissement_label("13201")
    ('Paris 11e', 'Lyon 3ème', 'Marseille 1er')
    """
    prefix = next(prefix for prefix in ARRONDISSEMENT_PREFIXES if code.startswith(prefix))
    number = int(code[len(prefix):])
    return f"{ARRONDISSEMENT_PREFIXES[prefix]} {number}{'er' if number == 1 else suffix}"


def one_letter_typos(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one ASCII letter (never the first) of each value to another letter of the same case.

    Values with fewer than two ASCII letters are left unchanged.
    """
    positions = rng.random(len(values))
    replacements = _LETTERS[rng.integers(len(_LETTERS), size=len(values))]
    changed = [
        _typo(value, position, letter)
        for value, position, letter in zip(values, positions.tolist(), replacements.tolist())
    ]
    return np.array(changed, dtype=object)


def _typo(text: str, position: float, letter: str) -> str:
    letters = [index for index, char in enumerate(text) if char.isascii() and char.isalpha()][1:]
    if not letters:
        return text
    index = letters[int(position * len(letters))]
    if text[index].lower() == letter:
        letter = "e" if letter != "e" else "a"
    return text[:index] + (letter.upper() if text[index].isupper() else letter) + text[index + 1:]
