"""Every claim's source resolves to an entry of analysis/references.bib; CITATION.cff and LICENSE.

A claim's ``source`` names its papers by first-author surname and year ("Papyan, Han & Donoho
(2020), PNAS, Def. 1", "Kini et al. (2024), ICLR, ...", "Arora, Cohen, Hu & Luo (NeurIPS 2019)").
Each such citation must match exactly one BibTeX entry by first-author surname and year (ties,
such as the two Arora 2019 papers, are broken by the co-authors named in the citation, then by
the topic in the entry's ``keywords``). Sources that are results derived in this project are
listed explicitly in ``DERIVED_HERE`` and must say so.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

import analysis
from analysis._core.claims import get_claims

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "analysis" / "references.bib"

#: Claims whose source is a derivation of this project, not a paper (checked to say so).
DERIVED_HERE = {
    "zsl.closed_form.one_attribute_and_binary",
    "zsl.closed_form.two_classes",
}

# "Surname[, Other]*[ & Other][ et al.][,] [(][VENUE ]YEAR": the first capitalised name of an
# author list followed by a year, in or out of parentheses.
_NAME = r"[A-Z][A-Za-z\u00c0-\u017f'\-]+"
_CITATION = re.compile(
    rf"\b(?P<first>{_NAME})(?P<others>(?:(?:,| &| and) {_NAME})*)(?: et al\.)?,? "
    r"\(?(?:[A-Za-z]+ )?(?P<year>(?:19|20)\d{2})\b"
)


def _fold(name: str) -> str:
    """Lowercase ASCII form of a surname ("Stöger" and "Stoger" agree)."""
    text = unicodedata.normalize("NFKD", name.replace("{", "").replace("}", "").replace('\\"', ""))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def parse_bib(text: str) -> dict[str, dict[str, str]]:
    """A small BibTeX reader: ``{key: {field: value}}`` (values with one level of braces)."""
    entries: dict[str, dict[str, str]] = {}
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, flags=re.S):
        kind, key, body = m.group(1).lower(), m.group(2), m.group(3)
        if key in entries:
            raise ValueError(f"duplicate BibTeX key {key!r}")
        fields = {"ENTRYTYPE": kind}
        for f in re.finditer(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", body):
            fields[f.group(1).lower()] = " ".join(f.group(2).split())
        entries[key] = fields
    return entries


def surnames(author_field: str) -> list[str]:
    """Folded surnames of a BibTeX ``author`` field ("Last, First and Last, First")."""
    return [_fold(a.split(",")[0].strip().split()[-1]) for a in author_field.split(" and ")]


@pytest.fixture(scope="module")
def bib() -> dict[str, dict[str, str]]:
    return parse_bib(BIB.read_text(encoding="utf-8"))


def citations(source: str) -> list[tuple[str, list[str], str]]:
    """``(first author, other authors, year)`` for each author-year citation in ``source``."""
    out = []
    for m in _CITATION.finditer(source):
        others = [_fold(o) for o in re.findall(_NAME, m.group("others"))]
        out.append((_fold(m.group("first")), others, m.group("year")))
    return out


def resolve(source: str, topic: str, bib: dict) -> list[str]:
    """The BibTeX keys cited by ``source``; raises ``LookupError`` naming an unresolved citation."""
    keys = []
    for first, others, year in citations(source):
        cands = [k for k, e in bib.items()
                 if e.get("year") == year and surnames(e["author"])[0] == first]
        if len(cands) > 1 and others:
            cands = [k for k in cands if set(others) <= set(surnames(bib[k]["author"]))]
        if len(cands) > 1:
            cands = [k for k in cands if topic in bib[k].get("keywords", "")]
        if len(cands) != 1:
            raise LookupError(f"{first} ({year}) in {source!r}: {len(cands)} entries {cands}")
        keys.append(cands[0])
    return keys


def test_bib_entries_are_complete(bib):
    assert len(bib) >= 25
    for key, e in bib.items():
        assert re.fullmatch(r"[a-z]+\d{4}[a-z]+", key), f"{key}: key is not surnameYEARword"
        for field in ("author", "title", "year"):
            assert e.get(field), f"{key}: no {field}"
        assert surnames(e["author"])[0] == _fold(re.match(r"[a-z]+", key).group()), \
            f"{key}: key does not start with the first author's surname"
        assert key[len(re.match(r"[a-z]+", key).group()):][:4] == e["year"], f"{key}: year"
        if e["ENTRYTYPE"] == "article":
            assert e.get("journal"), f"{key}: article without journal"
        if e["ENTRYTYPE"] == "inproceedings":
            assert e.get("booktitle"), f"{key}: inproceedings without booktitle"
        topics = [t.strip() for t in e.get("keywords", "").split(",") if t.strip()]
        assert topics and set(topics) <= set(analysis.TOPICS), f"{key}: keywords {topics}"


def test_citation_parser():
    assert citations("Papyan, Han & Donoho (2020), PNAS, Def. 1") == [
        ("papyan", ["han", "donoho"], "2020")]
    assert citations("Seed list: MaxSup (Zhou et al., 2025), sympy") == [("zhou", [], "2025")]
    assert citations("Arora, Cohen, Hu & Luo (NeurIPS 2019), Sec. 2.2; Gunasekar et al. 2017 fails")\
        == [("arora", ["cohen", "hu", "luo"], "2019"), ("gunasekar", [], "2017")]
    assert citations("Stoger & Soltanolkotabi (2021), Eq. (3)") == [
        ("stoger", ["soltanolkotabi"], "2021")]
    assert citations("derived here: Q = (1 + max_i |M_1i - M_2i|)/2 for k = 2") == []


def test_ambiguous_surname_year_is_split_by_coauthors_or_topic(bib):
    assert resolve("Arora, Cohen, Hu & Luo (NeurIPS 2019), Fig. 2", "implicit_reg", bib) == [
        "arora2019implicit"]
    assert resolve("Arora et al. (2019), ICML, Lemma 4.3", "contrastive", bib) == [
        "arora2019theoretical"]


def test_unknown_citation_is_reported(bib):
    with pytest.raises(LookupError, match="nobody"):
        resolve("Nobody et al. (1999), Thm. 1", "zsl", bib)


@pytest.mark.parametrize("claim", get_claims(), ids=lambda c: c.id)
def test_claim_source_resolves(claim, bib):
    if claim.id in DERIVED_HERE:
        assert "derived here" in claim.source.lower(), \
            f"{claim.id} is listed as derived but its source is {claim.source!r}"
        return
    keys = resolve(claim.source, claim.topic, bib)
    assert keys, (f"{claim.id}: source {claim.source!r} cites no paper by author and year; "
                  "add the paper to analysis/references.bib or list the claim in DERIVED_HERE")


def test_derived_list_has_no_stale_ids():
    ids = {c.id for c in get_claims()}
    assert DERIVED_HERE <= ids, f"unknown claim ids in DERIVED_HERE: {DERIVED_HERE - ids}"


def test_every_topic_has_its_papers(bib):
    for topic in analysis.TOPICS:
        cited = {k for c in get_claims(topic) if c.id not in DERIVED_HERE
                 for k in resolve(c.source, c.topic, bib)}
        assert cited, f"no claim of {topic} cites a paper"


def _cff_value(text: str, key: str) -> str:
    m = re.search(rf"^{key}:\s*['\"]?(.*?)['\"]?\s*$", text, flags=re.M)
    assert m, f"CITATION.cff has no top-level {key!r}"
    return m.group(1)


def test_citation_cff():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert _cff_value(text, "cff-version").startswith("1.2")
    assert _cff_value(text, "title") == "ML theory workbench"
    assert _cff_value(text, "version") == analysis.__version__
    assert _cff_value(text, "license") == "MIT"
    assert "name: The ML theory workbench developers" in text
    assert _cff_value(text, "message")


def test_license_file():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The ML theory workbench developers" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
