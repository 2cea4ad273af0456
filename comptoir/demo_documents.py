# French typography: en dashes and multiplication signs are meant, not look-alikes.
# ruff: noqa: RUF001
"""The demo's documents: realistic French business papers, generated as PDFs.

Every document is the same HTML template (a letterhead, a title, reference lines, a table,
totals, notes) filled with its own content and rendered by WeasyPrint. Amounts are computed
from their lines so totals add up. People and companies are fictitious; the pay slip is
anonymised; bank details are masked.

Rendering is cached per process: the tests load the demo many times, WeasyPrint runs once
per document.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html import escape

CENT = Decimal("0.01")
NBSP = "\u00a0"


def euros(amount: Decimal | int | str) -> str:
    """1234.5 -> "1 234,50 €" (French grouping, decimal comma, no-break spaces)."""
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{NBSP.join(groups)},{cents}{NBSP}€"


def vat(amount: Decimal, rate: str = "0.20") -> Decimal:
    return (amount * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Paper:
    """One document's content. `rows` are table rows; a cell starting with "=" is bold."""

    title: str
    issuer: tuple[str, ...]
    recipient: tuple[str, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    intro: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    totals: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    footer: str = ""
    stamp: str = ""
    numeric_columns: frozenset[int] = field(default_factory=frozenset)


TEMPLATE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title><style>
@page {{ size: A4; margin: 18mm 16mm 20mm;
  @bottom-left {{ content: "{footer}"; width: 150mm; font: 7pt "DejaVu Sans", sans-serif;
    color: #666; }}
  @bottom-right {{ content: counter(page) " / " counter(pages); width: 20mm;
    font: 7pt "DejaVu Sans", sans-serif; color: #666; }} }}
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #1d2430; }}
header {{ display: flex; justify-content: space-between; margin-bottom: 10mm; }}
.issuer {{ line-height: 1.35; }} .issuer strong {{ font-size: 12pt; color: #1f4e79; }}
.recipient {{ border: 0.6pt solid #9aa7b5; padding: 3mm 4mm; width: 70mm; line-height: 1.35; }}
h1 {{ font-size: 15pt; color: #1f4e79; border-bottom: 1.2pt solid #1f4e79;
  padding-bottom: 1.5mm; margin: 0 0 4mm; }}
dl {{ display: grid; grid-template-columns: 45mm auto; margin: 0 0 5mm; row-gap: 0.8mm; }}
dt {{ color: #555; }} dd {{ margin: 0; }}
p {{ margin: 0 0 2.5mm; line-height: 1.4; text-align: justify; }}
table {{ width: 100%; border-collapse: collapse; margin: 4mm 0; }}
th {{ background: #1f4e79; color: white; font-weight: bold; text-align: left;
  padding: 1.6mm 2mm; font-size: 8.5pt; }}
td {{ padding: 1.4mm 2mm; border-bottom: 0.4pt solid #d5dbe3; vertical-align: top; }}
tr:nth-child(even) td {{ background: #f4f6f9; }}
.num {{ text-align: right; white-space: nowrap; }}
.totals {{ width: 95mm; margin-left: auto; }}
.totals td {{ background: none !important; }}
.totals tr:last-child td {{ font-weight: bold; border-top: 1pt solid #1f4e79; }}
.notes {{ margin-top: 6mm; font-size: 8.5pt; color: #444; }}
.stamp {{ margin-top: 10mm; margin-left: auto; width: 70mm; text-align: center;
  border: 1pt dashed #1f4e79; color: #1f4e79; padding: 3mm; font-size: 8.5pt; }}
</style></head><body>
<header><div class="issuer">{issuer}</div>{recipient}</header>
<h1>{title}</h1>
{meta}{intro}{table}{totals}{notes}{stamp}
</body></html>
"""


def _lines(lines: tuple[str, ...]) -> str:
    return "<br>".join(escape(line) for line in lines)


def _cell(value: str, numeric: bool) -> str:
    css = ' class="num"' if numeric else ""
    if value.startswith("="):
        return f"<td{css}><strong>{escape(value[1:])}</strong></td>"
    return f"<td{css}>{escape(value)}</td>"


def paper_html(paper: Paper) -> str:
    issuer = f"<strong>{escape(paper.issuer[0])}</strong><br>{_lines(paper.issuer[1:])}"
    recipient = f'<div class="recipient">{_lines(paper.recipient)}</div>' if paper.recipient else ""
    meta = (
        "<dl>"
        + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in paper.meta)
        + "</dl>"
        if paper.meta
        else ""
    )
    intro = "".join(f"<p>{escape(p)}</p>" for p in paper.intro)
    table = ""
    if paper.rows:
        head = "".join(
            f"<th{' class=num' if i in paper.numeric_columns else ''}>{escape(c)}</th>"
            for i, c in enumerate(paper.columns)
        )
        body = "".join(
            "<tr>"
            + "".join(_cell(v, i in paper.numeric_columns) for i, v in enumerate(row))
            + "</tr>"
            for row in paper.rows
        )
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    totals = (
        '<table class="totals">'
        + "".join(
            f'<tr><td>{escape(k)}</td><td class="num">{escape(v)}</td></tr>'
            for k, v in paper.totals
        )
        + "</table>"
        if paper.totals
        else ""
    )
    notes = (
        '<div class="notes">' + "".join(f"<p>{escape(n)}</p>" for n in paper.notes) + "</div>"
        if paper.notes
        else ""
    )
    stamp = f'<div class="stamp">{_lines(tuple(paper.stamp.splitlines()))}</div>'
    return TEMPLATE.format(
        title=escape(paper.title),
        footer=paper.footer.replace("\\", "\\\\").replace('"', '\\"'),
        issuer=issuer,
        recipient=recipient,
        meta=meta,
        intro=intro,
        table=table,
        totals=totals,
        notes=notes,
        stamp=stamp if paper.stamp else "",
    )


# --- Always Clean SARL (Lyon, nettoyage de locaux) -----------------------------------------

ALWAYS_CLEAN = (
    "Always Clean SARL",
    "12 rue de la République",
    "69002 Lyon",
    "SIREN 732 829 320 – RCS Lyon",
)
ALWAYS_CLEAN_FOOTER = (
    "Always Clean SARL au capital de 20 000 € – 12 rue de la République, 69002 Lyon – "
    "SIRET 732 829 320 00018 – TVA FR47 732 829 320"
)


def _bank_statement(
    *,
    bank: tuple[str, ...],
    holder: tuple[str, ...],
    account: str,
    opening: Decimal,
    operations: tuple[tuple[str, str, str], ...],
) -> Paper:
    """operations: (date, label, signed amount) in January 2026."""
    rows = []
    debit_total = credit_total = Decimal(0)
    for day, label, signed in operations:
        amount = Decimal(signed)
        if amount < 0:
            debit_total += -amount
            rows.append((day, label, euros(-amount), ""))
        else:
            credit_total += amount
            rows.append((day, label, "", euros(amount)))
    closing = opening - debit_total + credit_total
    return Paper(
        title="Relevé de compte – janvier 2026",
        issuer=bank,
        recipient=holder,
        meta=(
            ("Période", "du 1er au 31 janvier 2026"),
            ("Compte", account),
            ("Relevé n°", "2026/01"),
            ("Solde au 01/01/2026", euros(opening) + " créditeur"),
        ),
        columns=("Date", "Libellé de l'opération", "Débit", "Crédit"),
        numeric_columns=frozenset({2, 3}),
        rows=tuple(rows),
        totals=(
            ("Total des débits", euros(debit_total)),
            ("Total des crédits", euros(credit_total)),
            ("Nouveau solde au 31/01/2026", euros(closing)),
        ),
        notes=(
            "Sauf erreur ou omission. Toute réclamation doit nous parvenir dans un délai de "
            "deux mois à compter de la date de ce relevé.",
            "Garantie des dépôts : votre compte est couvert par le Fonds de Garantie des "
            "Dépôts et de Résolution dans la limite de 100 000 € par déposant.",
        ),
        footer=f"{bank[0]} – document généré le 2 février 2026",
    )


def _always_clean_statement() -> Paper:
    return _bank_statement(
        bank=(
            "Banque Rhône-Alpes Entreprises",
            "Agence Lyon Presqu'île",
            "45 rue de la Bourse, 69002 Lyon",
        ),
        holder=("ALWAYS CLEAN SARL", "12 rue de la République", "69002 Lyon"),
        account="Compte courant professionnel – FR76 •••• •••• •••• •••• •••• 145",
        opening=Decimal("18452.37"),
        operations=(
            ("02/01", "PRLV SEPA URSSAF RHONE-ALPES – cotisations décembre", "-4812.00"),
            ("05/01", "VIR SEPA RECU SCI LES TERRASSES – facture FA-2025-0311", "3480.00"),
            ("08/01", "CB TOTALENERGIES LYON 7 – carburant", "-86.42"),
            ("09/01", "VIR SEPA RECU CABINET DENTAIRE BELLECOUR – FA-2025-0318", "1296.00"),
            ("12/01", "PRLV SEPA HYGIENE PRO LYON – facture FA-2025-1184", "-742.80"),
            ("15/01", "VIR SEPA RECU RESIDENCE LES CEDRES – FA-2026-0002", "2640.00"),
            ("20/01", "PRLV SEPA DGFIP – TVA décembre 2025", "-2318.00"),
            ("21/01", "VIR SEPA EMIS SCI DU CHAMP – dépôt de garantie bail Vénissieux", "-3900.00"),
            ("23/01", "CB ORANGE PRO – abonnement téléphonie", "-64.99"),
            ("27/01", "VIR SEPA RECU AGENCE IMMO SAONE – FA-2026-0005", "1872.00"),
            ("29/01", "VIR SEPA SALAIRES JANVIER 2026 (4 salariés)", "-7425.36"),
            ("30/01", "FRAIS TENUE DE COMPTE – forfait janvier", "-18.00"),
        ),
    )


def _supplier_invoice() -> Paper:
    lines = (
        ("DET-5L", "Détergent multi-surfaces écolabel, bidon 5 L", 12, "18.90"),
        ("DES-1L", "Désinfectant virucide EN 14476, flacon 1 L", 24, "6.45"),
        ("MIC-40", "Lavettes microfibre 40 × 40 cm, lot de 10", 8, "14.20"),
        ("SAC-100", "Sacs poubelle 100 L renforcés, carton de 200", 3, "42.50"),
        ("GAN-NIT", "Gants nitrile non poudrés taille M, boîte de 100", 10, "7.80"),
    )
    rows = []
    total = Decimal(0)
    for ref, label, qty, unit in lines:
        amount = Decimal(unit) * qty
        total += amount
        rows.append((ref, label, str(qty), euros(unit), euros(amount)))
    tax = vat(total)
    return Paper(
        title="Facture FA-2026-0117",
        issuer=(
            "Hygiène Pro Lyon SAS",
            "Zone industrielle de la Soie",
            "8 rue du Progrès, 69120 Vaulx-en-Velin",
            "SIRET 519 223 874 00031 – TVA FR62 519 223 874",
        ),
        recipient=ALWAYS_CLEAN[:3],
        meta=(
            ("Date de facture", "14 janvier 2026"),
            ("Date de livraison", "13 janvier 2026"),
            ("N° client", "CL-00842"),
            ("Échéance", "13 février 2026 (30 jours)"),
        ),
        columns=("Réf.", "Désignation", "Qté", "PU HT", "Montant HT"),
        numeric_columns=frozenset({2, 3, 4}),
        rows=tuple(rows),
        totals=(
            ("Total HT", euros(total)),
            ("TVA 20 %", euros(tax)),
            ("Total TTC", euros(total + tax)),
        ),
        notes=(
            "Règlement par prélèvement SEPA à l'échéance (mandat RUM HPL-00842).",
            "En cas de retard de paiement : pénalités au taux de 3 fois le taux d'intérêt "
            "légal et indemnité forfaitaire pour frais de recouvrement de 40 € "
            "(articles L441-10 et D441-5 du Code de commerce). Pas d'escompte pour "
            "paiement anticipé.",
        ),
        footer="Hygiène Pro Lyon SAS au capital de 150 000 € – RCS Lyon 519 223 874",
    )


def _quote(revision: int) -> Paper:
    lines = (
        ("Nettoyage des vitrages intérieurs et extérieurs (420 m²)", 1, "1260.00"),
        ("Nettoyage des châssis et encadrements", 1, "380.00"),
        ("Location nacelle élévatrice 12 m (journée)", 2, "290.00"),
        ("Déplacement et mise en sécurité du chantier", 1, "95.00"),
    )
    rows = []
    total = Decimal(0)
    for label, qty, unit in lines:
        amount = Decimal(unit) * qty
        total += amount
        rows.append((label, str(qty), euros(unit), euros(amount)))
    totals = [("Total HT", euros(total))]
    if revision > 1:
        discount = (total * Decimal("0.05")).quantize(CENT, rounding=ROUND_HALF_UP)
        total -= discount
        totals += [("Remise commerciale 5 %", euros(-discount)), ("Net HT", euros(total))]
    tax = vat(total)
    totals += [("TVA 20 %", euros(tax)), ("Total TTC", euros(total + tax))]
    return Paper(
        title="Devis DEV-2026-014" + (f" – révision {revision}" if revision > 1 else ""),
        issuer=ALWAYS_CLEAN,
        recipient=(
            "Clinique vétérinaire des Brotteaux",
            "À l'attention de Mme Garnier",
            "27 boulevard des Brotteaux",
            "69006 Lyon",
        ),
        meta=(
            ("Date", "10 février 2026" if revision == 1 else "17 février 2026"),
            ("Validité", "30 jours"),
            ("Intervention prévue", "semaine du 9 mars 2026"),
        ),
        intro=(
            "Madame, suite à notre visite du 6 février 2026, nous avons le plaisir de vous "
            "proposer l'offre suivante pour le nettoyage complet de la vitrerie de vos locaux.",
        ),
        columns=("Prestation", "Qté", "PU HT", "Montant HT"),
        numeric_columns=frozenset({1, 2, 3}),
        rows=tuple(rows),
        totals=tuple(totals),
        notes=(
            "Acompte de 30 % à la signature, solde à réception de facture. Devis gratuit.",
            "Bon pour accord : date, signature et cachet précédés de la mention « Bon pour "
            "accord ».",
        ),
        footer=ALWAYS_CLEAN_FOOTER,
    )


def _payslip() -> Paper:
    gross = Decimal("1980.00")
    contributions = (
        ("Sécurité sociale – maladie, maternité, invalidité, décès", "0.00", "7.00"),
        ("Sécurité sociale plafonnée – vieillesse", "6.90", "8.55"),
        ("Sécurité sociale déplafonnée – vieillesse", "0.40", "2.11"),
        ("Complémentaire tranche 1 (AGIRC-ARRCO)", "4.01", "6.01"),
        ("Assurance chômage", "0.00", "4.05"),
        ("CSG déductible de l'impôt sur le revenu", "6.80", "0.00"),
        ("CSG/CRDS non déductible", "2.90", "0.00"),
    )
    rows = [("Salaire de base (151,67 h × 13,0547 €)", euros(gross), "", "", "")]
    employee_total = employer_total = Decimal(0)
    csg_base = (gross * Decimal("0.9825")).quantize(CENT, rounding=ROUND_HALF_UP)
    for label, employee_rate, employer_rate in contributions:
        base = csg_base if label.startswith("CSG") else gross
        employee = (base * Decimal(employee_rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        employer = (base * Decimal(employer_rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        employee_total += employee
        employer_total += employer
        rows.append(
            (
                label,
                euros(base),
                f"{employee_rate.replace('.', ',')} %",
                euros(employee) if employee else "",
                euros(employer) if employer else "",
            )
        )
    net = gross - employee_total
    withholding = (net * Decimal("0.021")).quantize(CENT, rounding=ROUND_HALF_UP)
    return Paper(
        title="Bulletin de salaire – janvier 2026",
        issuer=(*ALWAYS_CLEAN, "Code APE 8121Z – Nettoyage courant des bâtiments"),
        recipient=(
            "Salarié : M. X. (anonymisé)",
            "Emploi : agent de propreté, échelon AS3",
            "Entrée le 1er septembre 2022",
            "N° de sécurité sociale : •••••••••••••",
        ),
        meta=(
            ("Période", "du 1er au 31 janvier 2026"),
            ("Convention collective", "Entreprises de propreté (IDCC 3043)"),
            ("Date de paiement", "29 janvier 2026, par virement"),
        ),
        columns=("Élément", "Base", "Taux salarial", "Part salarié", "Part employeur"),
        numeric_columns=frozenset({1, 2, 3, 4}),
        rows=tuple(rows),
        totals=(
            ("Salaire brut", euros(gross)),
            ("Total des cotisations salariales", euros(employee_total)),
            ("Net à payer avant impôt sur le revenu", euros(net)),
            ("Impôt sur le revenu prélevé à la source (2,1 %)", euros(withholding)),
            ("Net payé", euros(net - withholding)),
        ),
        notes=(
            f"Total des cotisations patronales : {euros(employer_total)}. Coût total "
            f"employeur : {euros(gross + employer_total)}.",
            "Document anonymisé pour la démonstration. Dans votre intérêt, conservez ce "
            "bulletin sans limitation de durée.",
        ),
        footer=ALWAYS_CLEAN_FOOTER,
    )


def _urssaf_certificate() -> Paper:
    return Paper(
        title="Attestation de vigilance",
        issuer=(
            "Urssaf Rhône-Alpes",
            "6 rue du 19 mars 1962",
            "69691 Vénissieux Cedex",
        ),
        recipient=ALWAYS_CLEAN[:3],
        meta=(
            ("Code de sécurité", "AC7K 2QXM 9T4P 6R3B"),
            ("Délivrée le", "9 février 2026"),
            ("SIRET", "732 829 320 00018"),
            ("Effectif déclaré", "4 salariés"),
        ),
        intro=(
            "L'Urssaf atteste que l'entreprise désignée ci-dessus est à jour de ses "
            "obligations de déclaration et de paiement des cotisations et contributions "
            "sociales au 31 janvier 2026.",
            "Cette attestation est délivrée au titre de l'article L243-15 du Code de la "
            "sécurité sociale. Elle est valable six mois. Son authenticité peut être "
            "vérifiée sur urssaf.fr au moyen du code de sécurité ci-dessus.",
        ),
        columns=("Période", "Déclarations", "Cotisations"),
        rows=(
            ("Octobre 2025", "Déposée (DSN)", "Payées"),
            ("Novembre 2025", "Déposée (DSN)", "Payées"),
            ("Décembre 2025", "Déposée (DSN)", "Payées"),
            ("Janvier 2026", "Déposée (DSN)", "Échéance à venir"),
        ),
        stamp="Pour le directeur et par délégation\nLe responsable du recouvrement",
        footer="Urssaf Rhône-Alpes – attestation de vigilance n° 2026-0209-73282",
    )


def _tax_return_extract() -> Paper:
    revenue = Decimal("412860")
    purchases = Decimal("48320")
    external = Decimal("61250")
    taxes = Decimal("6140")
    wages = Decimal("182400")
    social = Decimal("58960")
    depreciation = Decimal("9870")
    other = Decimal("1280")
    result = revenue - purchases - external - taxes - wages - social - depreciation - other
    corporate_tax = (
        Decimal("42500") * Decimal("0.15") + (result - Decimal("42500")) * Decimal("0.25")
    ).quantize(Decimal(1))
    return Paper(
        title="Liasse fiscale 2025 – extrait des formulaires 2033-A et 2033-B",
        issuer=(
            "Cabinet Martin & Associés",
            "Expertise comptable – commissariat aux comptes",
            "18 quai Saint-Antoine, 69002 Lyon",
        ),
        recipient=ALWAYS_CLEAN[:3],
        meta=(
            ("Régime", "Réel simplifié d'imposition (RSI)"),
            ("Exercice", "du 1er janvier au 31 décembre 2025 (12 mois)"),
            ("Dépôt", "télétransmis (EDI-TDFC) le 12 mai 2026"),
        ),
        columns=("Réf.", "Compte de résultat simplifié (2033-B)", "Exercice 2025"),
        numeric_columns=frozenset({2}),
        rows=(
            ("210", "Ventes de services (production vendue)", euros(revenue)),
            ("234", "Achats de matières premières et autres approvisionnements", euros(purchases)),
            ("242", "Autres charges externes", euros(external)),
            ("244", "Impôts, taxes et versements assimilés", euros(taxes)),
            ("250", "Rémunérations du personnel", euros(wages)),
            ("252", "Charges sociales", euros(social)),
            ("254", "Dotations aux amortissements", euros(depreciation)),
            ("262", "Autres charges", euros(other)),
            ("=310", "=Résultat fiscal", "=" + euros(result)),
        ),
        totals=(
            ("Impôt sur les sociétés (15 % puis 25 %)", euros(corporate_tax)),
            ("Résultat net après impôt", euros(result - corporate_tax)),
        ),
        notes=(
            "Extrait remis au client ; la liasse complète (2033-A à 2033-G) est conservée "
            "par le cabinet.",
            "Bilan simplifié (2033-A) : total du bilan 186 420 €, capitaux propres 94 310 €.",
        ),
        footer="Cabinet Martin & Associés – membre de l'Ordre des experts-comptables Lyon-Rhône",
    )


def _statutes() -> Paper:
    return Paper(
        title="Statuts de la société Always Clean SARL",
        issuer=(
            "Always Clean",
            "Société à responsabilité limitée au capital de 20 000 €",
            "Siège social : 12 rue de la République, 69002 Lyon",
            "732 829 320 RCS Lyon",
        ),
        meta=(
            ("Mise à jour", "statuts mis à jour le 20 janvier 2026"),
            ("Certifiés conformes par", "Sophie Lefèvre, gérante"),
        ),
        intro=(
            "Article 1 – Forme. Il est formé entre les propriétaires des parts ci-après "
            "créées une société à responsabilité limitée régie par les articles L223-1 et "
            "suivants du Code de commerce et par les présents statuts.",
            "Article 2 – Objet. La société a pour objet, en France et à l'étranger : le "
            "nettoyage courant de locaux professionnels et d'habitation, la vitrerie, "
            "l'entretien d'espaces verts attenants, et toutes opérations se rattachant "
            "directement ou indirectement à cet objet.",
            "Article 3 – Dénomination. La dénomination sociale est : Always Clean.",
            "Article 4 – Siège social. Le siège social est fixé au 12 rue de la République, "
            "69002 Lyon. Il pourra être transféré par décision de la gérance.",
            "Article 5 – Durée. La durée de la société est fixée à 99 ans à compter de son "
            "immatriculation au registre du commerce et des sociétés.",
            "Article 7 – Capital social. Le capital social est fixé à vingt mille euros "
            "(20 000 €), divisé en 2 000 parts sociales de 10 € chacune, entièrement "
            "libérées, réparties comme suit :",
        ),
        columns=("Associé", "Parts", "Montant"),
        numeric_columns=frozenset({1, 2}),
        rows=(
            ("Mme Sophie Lefèvre", "1 400", euros(14000)),
            ("M. Antoine Lefèvre", "600", euros(6000)),
            ("=Total", "=2 000", "=" + euros(20000)),
        ),
        notes=(
            "Article 12 – Gérance. La société est gérée par une ou plusieurs personnes "
            "physiques. Mme Sophie Lefèvre est nommée gérante pour une durée illimitée.",
            "Article 18 – Exercice social. L'exercice social commence le 1er janvier et se "
            "termine le 31 décembre de chaque année.",
        ),
        stamp="Certifié conforme à l'original\nLyon, le 20 janvier 2026\nLa gérante",
        footer=ALWAYS_CLEAN_FOOTER,
    )


def _kbis(
    *,
    name: str,
    siren: str,
    address: str,
    activity: str,
    manager: str,
    registry: str,
    created: str,
    issued: str,
    capital: str,
) -> Paper:
    return Paper(
        title="Extrait d'immatriculation principale au registre du commerce et des sociétés",
        issuer=(
            f"Greffe du tribunal de commerce de {registry}",
            "Extrait Kbis – à jour au " + issued,
        ),
        meta=(
            ("Immatriculation", f"{siren} RCS {registry}"),
            ("Date d'immatriculation", created),
            ("Dénomination", name),
            ("Forme juridique", "Société à responsabilité limitée"),
            ("Capital social", capital),
            ("Adresse du siège", address),
            ("Activité principale", activity),
            ("Durée", "99 ans"),
            ("Gérant", manager),
        ),
        intro=(
            "Le greffier certifie que le présent extrait reproduit les inscriptions portées "
            "au registre à la date ci-dessus. Aucune procédure collective en cours.",
        ),
        stamp=f"Le greffier\nDélivré le {issued}",
        footer=f"Greffe du tribunal de commerce de {registry} – code de vérification G7K-2026",
    )


def _general_meeting() -> Paper:
    return Paper(
        title="Procès-verbal de l'assemblée générale ordinaire annuelle du 15 juin 2026",
        issuer=ALWAYS_CLEAN,
        meta=(
            ("Date et lieu", "15 juin 2026 à 10 heures, au siège social"),
            ("Présents", "Mme Sophie Lefèvre (1 400 parts), M. Antoine Lefèvre (600 parts)"),
            ("Quorum", "2 000 parts sur 2 000 – l'assemblée peut valablement délibérer"),
            ("Présidence", "Mme Sophie Lefèvre, gérante"),
        ),
        intro=(
            "Ordre du jour : rapport de gestion de la gérance sur l'exercice clos le 31 "
            "décembre 2025 ; approbation des comptes de cet exercice ; affectation du "
            "résultat ; approbation des conventions réglementées ; quitus à la gérance.",
        ),
        columns=("Résolution", "Objet", "Vote"),
        rows=(
            ("Première", "Approbation des comptes de l'exercice 2025", "Adoptée à l'unanimité"),
            (
                "Deuxième",
                "Affectation du bénéfice de 37 730 € : 1 887 € à la réserve légale, "
                "20 000 € de dividendes, 15 843 € en report à nouveau",
                "Adoptée à l'unanimité",
            ),
            (
                "Troisième",
                "Conventions visées à l'article L223-19",
                "Adoptée, la gérante ne prenant pas part au vote",
            ),
            ("Quatrième", "Quitus à la gérance", "Adoptée à l'unanimité"),
            ("Cinquième", "Pouvoirs pour les formalités", "Adoptée à l'unanimité"),
        ),
        notes=(
            "L'ordre du jour étant épuisé, la séance est levée à 11 heures. De tout ce "
            "que dessus, il a été dressé le présent procès-verbal signé par les associés.",
        ),
        stamp="La gérante, Sophie Lefèvre\nL'associé, Antoine Lefèvre",
        footer=ALWAYS_CLEAN_FOOTER,
    )


def _lease() -> Paper:
    return Paper(
        title="Bail commercial – entrepôt et bureaux",
        issuer=(
            "SCI du Champ",
            "Représentée par M. Paul Chevalier, gérant",
            "5 chemin du Champ, 69200 Vénissieux",
        ),
        recipient=("Preneur :", *ALWAYS_CLEAN[:3], "représentée par Mme Sophie Lefèvre"),
        meta=(
            ("Locaux", "entrepôt de 180 m² et bureau de 25 m², 14 rue Marcel Paul, Vénissieux"),
            ("Durée", "9 ans à compter du 1er février 2026 (bail 3-6-9)"),
            ("Loyer annuel", euros(15600) + " HT, payable mensuellement d'avance"),
            ("Dépôt de garantie", euros(3900) + " (3 mois de loyer)"),
            ("Indexation", "annuelle, sur l'indice des loyers commerciaux (ILC)"),
            ("Signé le", "19 janvier 2026 à Lyon"),
        ),
        intro=(
            "Le bailleur donne à bail commercial au preneur, qui accepte, les locaux "
            "désignés ci-dessus, soumis aux articles L145-1 et suivants du Code de commerce.",
            "Destination : stockage de matériel et produits de nettoyage, bureaux "
            "administratifs de l'entreprise. Toute autre activité est interdite sans "
            "l'accord écrit du bailleur.",
        ),
        columns=("Échéance", "Loyer HT", "Provision charges", "TVA 20 %", "Total TTC"),
        numeric_columns=frozenset({1, 2, 3, 4}),
        rows=(
            ("Mensuelle", euros(1300), euros(160), euros(292), euros(1752)),
            ("Annuelle", euros(15600), euros(1920), euros(3504), euros(21024)),
        ),
        notes=(
            "Le preneur pourra donner congé à l'expiration de chaque période triennale, "
            "par acte extrajudiciaire, au moins six mois à l'avance.",
            "Annexes : état des lieux d'entrée, diagnostics techniques, inventaire des "
            "charges, impôts, taxes et redevances (article L145-40-2).",
        ),
        stamp="Le bailleur — Le preneur\nLu et approuvé",
        footer="Bail commercial SCI du Champ / Always Clean – paraphes sur chaque page",
    )


def _expense_report() -> Paper:
    items = (
        (
            "06/01/2026",
            "Déplacement Lyon – Villefranche (chantier Résidence Les Cèdres), 84 km × 0,636 €",
            "53.42",
        ),
        ("06/01/2026", "Péage A6 Villefranche aller-retour", "7.60"),
        ("13/01/2026", "Parking Part-Dieu, rendez-vous client", "12.50"),
        ("20/01/2026", "Repas chantier de nuit (plafond URSSAF)", "21.10"),
        ("27/01/2026", "Achat urgent raclette vitres, Brico Lyon 3", "18.99"),
    )
    total = sum((Decimal(a) for _, _, a in items), Decimal(0))
    return Paper(
        title="Note de frais – janvier 2026",
        issuer=ALWAYS_CLEAN,
        recipient=("Salarié : Karim Benali", "Chef d'équipe", "Matricule AC-0007"),
        meta=(
            ("Période", "janvier 2026"),
            ("Véhicule", "personnel, 5 CV (barème kilométrique 2026)"),
            ("Remise le", "2 février 2026"),
        ),
        columns=("Date", "Nature de la dépense", "Montant TTC"),
        numeric_columns=frozenset({2}),
        rows=tuple((d, label, euros(a)) for d, label, a in items),
        totals=(("Total à rembourser", euros(total)),),
        notes=("Justificatifs joints (tickets et reçus). Remboursement avec la paie de février.",),
        stamp="Visa de la gérante\nBon pour remboursement",
        footer=ALWAYS_CLEAN_FOOTER,
    )


# --- Boulangerie Dupont (Rennes) -----------------------------------------------------------

BOULANGERIE = ("Boulangerie Dupont", "3 place du Marché", "35000 Rennes", "SIREN 812 345 676")


def _boulangerie_statement() -> Paper:
    return _bank_statement(
        bank=("Crédit Breton Professionnels", "Agence Rennes République", "35000 Rennes"),
        holder=("BOULANGERIE DUPONT", "M. Jean Dupont", "3 place du Marché", "35000 Rennes"),
        account="Compte professionnel – FR76 •••• •••• •••• •••• •••• 872",
        opening=Decimal("9214.58"),
        operations=(
            ("02/01", "REMISE CB TPE – ventes du 31/12", "2184.30"),
            ("03/01", "PRLV SEPA MINOTERIE DE L'ILLE – F25-0398", "-1846.20"),
            ("05/01", "REMISE ESPECES – semaine 1", "3120.00"),
            ("07/01", "PRLV SEPA EDF ENTREPRISES – four et chambre froide", "-612.74"),
            ("10/01", "PRLV SEPA LOYER – SCI Marché", "-1350.00"),
            ("12/01", "REMISE CB TPE – ventes semaine 2", "6842.15"),
            ("15/01", "PRLV SEPA URSSAF BRETAGNE", "-2964.00"),
            ("19/01", "REMISE CB TPE – ventes semaine 3", "6590.40"),
            ("22/01", "PRLV SEPA LAITERIE DU COUESNON", "-488.60"),
            ("26/01", "REMISE CB TPE – ventes semaine 4", "7015.85"),
            ("28/01", "VIR SEPA SALAIRES JANVIER 2026 (3 salariés)", "-5210.44"),
            ("30/01", "COMMISSIONS CB – janvier", "-96.31"),
        ),
    )


def _flour_invoice() -> Paper:
    lines = (
        ("Farine de blé T65 tradition française, sac 25 kg", 40, "19.80"),
        ("Farine de seigle T130, sac 25 kg", 6, "27.40"),
        ("Farine de blé noir de Bretagne IGP, sac 25 kg", 4, "41.50"),
        ("Levure fraîche, bloc 500 g", 20, "1.95"),
    )
    rows = []
    total = Decimal(0)
    for label, qty, unit in lines:
        amount = Decimal(unit) * qty
        total += amount
        rows.append((label, str(qty), euros(unit), euros(amount)))
    tax = vat(total, "0.055")
    return Paper(
        title="Facture F26-0042",
        issuer=(
            "Minoterie de l'Ille SARL",
            "Moulin de Saint-Grégoire",
            "35760 Saint-Grégoire",
            "SIRET 398 112 457 00025 – TVA FR19 398 112 457",
        ),
        recipient=BOULANGERIE[:3],
        meta=(
            ("Date de facture", "3 février 2026"),
            ("Bon de livraison", "BL-26-0187 du 2 février 2026"),
            ("Échéance", "5 mars 2026"),
        ),
        columns=("Désignation", "Qté", "PU HT", "Montant HT"),
        numeric_columns=frozenset({1, 2, 3}),
        rows=tuple(rows),
        totals=(
            ("Total HT", euros(total)),
            ("TVA 5,5 %", euros(tax)),
            ("Total TTC", euros(total + tax)),
        ),
        notes=(
            "Paiement par prélèvement à 30 jours. Indemnité forfaitaire pour frais de "
            "recouvrement : 40 €.",
        ),
        footer="Minoterie de l'Ille SARL – RCS Rennes 398 112 457",
    )


def _vat_return() -> Paper:
    sales_55 = Decimal("24610.00")
    sales_10 = Decimal("3240.00")
    sales_20 = Decimal("1180.00")
    collected = vat(sales_55, "0.055") + vat(sales_10, "0.10") + vat(sales_20)
    deductible = Decimal("687.42")
    return Paper(
        title="Déclaration de TVA CA3 – janvier 2026",
        issuer=("Cabinet Martin & Associés", "Pour le compte de la Boulangerie Dupont"),
        recipient=BOULANGERIE[:3],
        meta=(
            ("Régime", "réel normal, déclaration mensuelle"),
            ("Période", "janvier 2026"),
            ("Télédéclarée le", "19 février 2026"),
        ),
        columns=("Ligne", "Opérations", "Base HT", "TVA"),
        numeric_columns=frozenset({2, 3}),
        rows=(
            (
                "0979",
                "Ventes à emporter, taux 5,5 %",
                euros(sales_55),
                euros(vat(sales_55, "0.055")),
            ),
            (
                "0980",
                "Ventes à consommer sur place, taux 10 %",
                euros(sales_10),
                euros(vat(sales_10, "0.10")),
            ),
            ("08", "Boissons et confiseries, taux 20 %", euros(sales_20), euros(vat(sales_20))),
            ("20", "TVA déductible sur biens et services", "", euros(deductible)),
        ),
        totals=(
            ("TVA brute due", euros(collected)),
            ("TVA déductible", euros(deductible)),
            ("TVA nette à payer", euros(collected - deductible)),
        ),
        footer="Cabinet Martin & Associés – déclaration transmise par EDI-TVA",
    )


# --- Atelier Multi (Bordeaux) --------------------------------------------------------------


def _electricity_invoice() -> Paper:
    consumption = Decimal("1284")
    energy = (consumption * Decimal("0.2016")).quantize(CENT)
    subscription = Decimal("38.62")
    excise = (consumption * Decimal("0.02623")).quantize(CENT)
    total = energy + subscription + excise
    tax = vat(total)
    return Paper(
        title="Facture d'électricité – février 2026",
        issuer=("Énergies d'Aquitaine", "Service clients professionnels", "33000 Bordeaux"),
        recipient=("Atelier Multi", "Mme Inès Moreau", "8 rue des Artisans", "33000 Bordeaux"),
        meta=(
            ("N° de facture", "EA-2026-02-558120"),
            ("Point de livraison", "PDL 1423 •••• •••• 07"),
            ("Puissance souscrite", "12 kVA, option heures pleines / heures creuses"),
            ("Date d'émission", "4 mars 2026"),
        ),
        columns=("Élément", "Quantité", "Montant HT"),
        numeric_columns=frozenset({1, 2}),
        rows=(
            ("Consommation du 1er au 28 février 2026", f"{consumption} kWh", euros(energy)),
            ("Abonnement mensuel", "1 mois", euros(subscription)),
            ("Accise sur l'électricité", f"{consumption} kWh", euros(excise)),
        ),
        totals=(
            ("Total HT", euros(total)),
            ("TVA 20 %", euros(tax)),
            ("Total TTC prélevé le 19 mars 2026", euros(total + tax)),
        ),
        footer="Énergies d'Aquitaine – fournisseur fictif pour la démonstration",
    )


PAPERS = {
    "releve-always-clean": _always_clean_statement,
    "facture-hygiene-pro": _supplier_invoice,
    "devis-v1": lambda: _quote(1),
    "devis-v2": lambda: _quote(2),
    "bulletin-salaire": _payslip,
    "attestation-urssaf": _urssaf_certificate,
    "liasse-fiscale": _tax_return_extract,
    "statuts": _statutes,
    "kbis-always-clean": lambda: _kbis(
        name="ALWAYS CLEAN",
        siren="732 829 320",
        address="12 rue de la République, 69002 Lyon",
        activity="Nettoyage courant des bâtiments, vitrerie",
        manager="Mme Sophie Lefèvre",
        registry="Lyon",
        created="14 mars 2019",
        issued="3 mars 2026",
        capital=euros(20000),
    ),
    "pv-ag": _general_meeting,
    "bail": _lease,
    "note-de-frais": _expense_report,
    "releve-boulangerie": _boulangerie_statement,
    "facture-minoterie": _flour_invoice,
    "tva-ca3": _vat_return,
    "kbis-atelier-multi": lambda: _kbis(
        name="ATELIER MULTI",
        siren="847 654 324",
        address="8 rue des Artisans, 33000 Bordeaux",
        activity="Menuiserie, ébénisterie et restauration de meubles",
        manager="Mme Inès Moreau",
        registry="Bordeaux",
        created="2 octobre 2020",
        issued="11 février 2026",
        capital=euros(5000),
    ),
    "facture-electricite": _electricity_invoice,
}


@functools.cache
def demo_pdf(key: str) -> bytes:
    """The PDF of one demo document (rendered once per process)."""
    from weasyprint import HTML

    # WeasyPrint logs each rendering step at INFO: noise in the demo's console.
    progress = logging.getLogger("weasyprint.progress")
    level = progress.level
    progress.setLevel(logging.WARNING)
    try:
        return bytes(HTML(string=paper_html(PAPERS[key]())).write_pdf())
    finally:
        progress.setLevel(level)
