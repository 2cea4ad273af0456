"""The checks of the tax administration's FEC test tool, in Python, for the tests.

DGFiP's Test Compta Demat (github.com/DGFiP/Test-Compta-Demat, CeCILL v2.1) is a Perl/Tk
desktop program that loads the file into its own PostgreSQL database: it does not run
headless here. Its rules on a flat file are in `src/testeur/init.pl` (file name,
separator), `trt_entete.pl` (header) and `trt_txt.pl` (each line), with levels E
(blocking: "n'a pas pu être chargée"), A (alert) and V (a field left empty). They are
written again below, each with the tool's wording, plus the rules of the arrêté the tool
does not check line by line (18 columns in order, EcritureNum balanced and sequential).
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections import defaultdict
from decimal import Decimal

COLUMNS = [
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
]  # fmt: skip
# FECCOM.sql: NOT NULL without DEFAULT (mandatory, must hold a value: level E).
MANDATORY = ["EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "EcritureLib"]
NUMERIC = ["Debit", "Credit", "Montantdevise"]
DATES = ["EcritureDate", "PieceDate", "DateLet", "ValidDate"]
# trt_txt.pl's %Donnees_Absentes for files after 2013: level V when empty.
EXPECTED = ["JournalCode", "JournalLib", "CompteLib", "PieceRef", "PieceDate", "EcritureLib",
            "ValidDate"]  # fmt: skip
NAME = re.compile(r"^(.*)FEC(20[0-9]{2}[0-1][0-9][0-3][0-9])\.TXT$")


def check(
    name: str, content: bytes, *, start: datetime.date | None = None
) -> list[tuple[str, str]]:
    """Anomalies of a FEC as (level, message); E blocks, A alerts, V says a field is empty."""
    found: list[tuple[str, str]] = []
    match = NAME.match(name.upper())
    if not match:
        return [("E", f"Le nom du fichier {name} est incorrect, attendu sirenFECAAAAMMJJ")]
    closing = datetime.datetime.strptime(match.group(2), "%Y%m%d").date()
    text = content.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split(r"\r\n|\r|\n", text.rstrip("\r\n"))
    if len(lines) <= 1:
        return [("E", "Le fichier ne contient pas de ligne : fichier vide")]
    header = lines[0]
    if len(header.split("\t")) >= 9:
        separator = "\t"
    elif len(header.split("|")) >= 9:
        separator = "|"
    else:
        return [("E", "Séparateur dans le fichier non conforme")]
    fields = [f.strip() for f in header.split(separator)]
    if fields != COLUMNS:
        found.append(("E", f"Entête non conforme à l'arrêté : {fields}"))
    for column in [*MANDATORY, "Debit", "Credit"]:
        if column not in fields:
            found.append(("E", f"Le champ {column} n'est pas présent dans le fichier"))
    if any(level == "E" for level, _m in found):
        return found
    sums: dict[str, Decimal] = defaultdict(Decimal)
    entries: dict[str, dict[str, object]] = {}
    for number, line in enumerate(lines[1:], start=2):
        line = line.replace("\xa0", " ")
        values = [v.strip() for v in line.split(separator)]
        if len(values) == 1:
            found.append(("E", f"une ligne :{number}: est vide"))
            continue
        if len(values) != len(fields):
            found.append(("E", f"ligne {number} : {len(values)} champs au lieu de {len(fields)}"))
            continue
        row = dict(zip(fields, values, strict=True))
        for column in MANDATORY:
            if not row[column]:
                found.append(("E", f"Le champ {column} ne contient aucune valeur : ligne {number}"))
        for column in EXPECTED:
            if not row[column]:
                found.append(("V", f"pas de valeur pour le champ {column} : ligne {number}"))
        if not re.match(r"^[0-9]{3}", row["CompteNum"]):
            found.append(("A", f"CompteNum doit commencer par trois chiffres : ligne {number}"))
        amounts: dict[str, Decimal] = {}
        for column in NUMERIC:
            value = row[column] or "0"
            if "." in value:
                found.append(("E", f"{column} : un séparateur , au lieu de . : ligne {number}"))
                continue
            if re.match(r"^ *[0-9]+ [0-9]+", value) or len(re.sub(r"[^ .,]", "", value)) > 1:
                found.append(("E", f"{column} : sans séparateur de milliers : ligne {number}"))
                continue
            if not re.match(r"^ *[+-]*[0-9.,]{1,} *[+-]* *$", value):
                found.append(("E", f"{column} : un format numérique est attendu : ligne {number}"))
                continue
            amounts[column] = Decimal(value.replace(",", "."))
        for column in DATES:
            value = row[column]
            if not value or re.match(r"^[0\-/.]+$", value):
                if column == "EcritureDate":
                    found.append(("E", f"{column} : un format date est attendu : ligne {number}"))
                continue
            parsed = _date(value)
            if parsed is None:
                found.append(("E", f"{column} : dates non calendaires : ligne {number}"))
            elif not 1900 <= parsed.year <= 2099:
                found.append(("E", f"{column} : année incorrecte : ligne {number}"))
            elif column == "EcritureDate" and (
                parsed > closing or (start is not None and parsed < start)
            ):
                found.append(("A", f"{column} : date en dehors de la période : ligne {number}"))
        debit, credit = amounts.get("Debit", Decimal(0)), amounts.get("Credit", Decimal(0))
        if (debit == 0) == (credit == 0):
            found.append(("A", f"débit/crédit renseignés sur une même ligne : ligne {number}"))
        num = row["EcritureNum"]
        sums[num] += debit - credit
        entry = entries.setdefault(
            num, {"journal": row["JournalCode"], "date": row["EcritureDate"], "line": number}
        )
        if entry["journal"] != row["JournalCode"] or entry["date"] != row["EcritureDate"]:
            found.append(("A", f"EcritureNum {num} : un journal et une date par écriture"))
    # The arrêté's own rules, beyond the tool's line checks.
    for num, balance in sums.items():
        if balance != 0:
            found.append(("A", f"EcritureNum {num} déséquilibrée de {balance}"))
    by_journal: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for num, entry in entries.items():
        journal = str(entry["journal"])
        by_journal[journal].append((int(str(entry["line"])), num, str(entry["date"])))
    for journal, numbered in by_journal.items():
        numbered.sort()
        sequence = [int(num.rsplit("-", 1)[-1]) for _l, num, _d in numbered]
        if sequence != list(range(sequence[0], sequence[0] + len(sequence))):
            found.append(("A", f"journal {journal} : EcritureNum avec une rupture {sequence}"))
    return found


def _date(value: str) -> datetime.date | None:
    match = re.match(r"^(\d{4})[/\-.]?(\d{2})[/\-.]?(\d{2})$", value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return datetime.date(year, month, day)


def blocking(anomalies: list[tuple[str, str]]) -> list[str]:
    return [message for level, message in anomalies if level in {"E", "A"}]
