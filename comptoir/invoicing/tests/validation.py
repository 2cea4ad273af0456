"""Validators of the Factur-X XML for the tests: the Factur-X XSD, and the EN 16931
Schematron (Factur-X 1.09 EN16931 profile, compiled to XSLT) and the French BR-FR rules
(XP Z12-012 "Flux 2" CII Schematron), both shipped compiled inside the `factur-x`
package and run with Saxon (saxonche: they are XSLT 2)."""

from __future__ import annotations

import functools
from pathlib import Path

import facturx
from lxml import etree

RULES = Path(facturx.__file__).parent / "xsd_and_schematron"
SCHEMATRONS = {
    "EN 16931": RULES / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
    "BR-FR": RULES / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt",
}
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


def xsd_errors(xml: bytes) -> list[str]:
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as error:
        return [str(error)]
    return []


@functools.cache
def _processor():
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    xslt = processor.new_xslt30_processor()
    compiled = {
        name: xslt.compile_stylesheet(stylesheet_file=str(path))
        for name, path in SCHEMATRONS.items()
    }
    return processor, compiled


def schematron_errors(xml: bytes) -> list[str]:
    """Every failed assertion that is not a mere warning, as "<rules> <id>: <text>"."""
    processor, compiled = _processor()
    document = processor.parse_xml(xml_text=xml.decode())
    errors = []
    for name, executable in compiled.items():
        report = etree.fromstring(executable.transform_to_string(xdm_node=document).encode())
        for failed in report.iterfind(".//svrl:failed-assert", SVRL):
            if (failed.get("flag") or "fatal") == "warning":
                continue
            text = " ".join("".join(failed.itertext()).split())
            errors.append(f"{name} {failed.get('id')}: {text}")
    return errors
