"""A proposed quality grade for an answer, from the scenario's answer key. A person confirms it.

The grades are the method's: `correct` (correct and complete), `partial`, `relevant` (on topic but not an
answer) and `none` (wrong or no answer). Facts are read from the answer's new text (never the quoted
question) with the web channel's extractors and compared with the key's expected facts (kind, topic,
value within tolerance); required points are recognised by their keywords. The proposal lists what was
found, missing and wrong, so the reviewer sees why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kommunetest.channels.web.extract import extract_facts
from kommunetest.channels.web.facts import Fact
from kommunetest.scenarios import AnswerKey, ExpectedFact

GRADES = ("correct", "partial", "relevant", "none")
_MIN_WORDS = 6  # an answer shorter than this is not even "relevant"


@dataclass
class GradeProposal:
    grade: str
    confidence: float
    reasons: list[str] = field(default_factory=list)
    facts_found: list[dict[str, Any]] = field(default_factory=list)
    facts_missing: list[dict[str, Any]] = field(default_factory=list)
    facts_wrong: list[dict[str, Any]] = field(default_factory=list)
    points_found: list[dict[str, Any]] = field(default_factory=list)
    points_missing: list[dict[str, Any]] = field(default_factory=list)
    extracted: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "confidence": round(self.confidence, 2),
            "reasons": self.reasons,
            "facts_found": self.facts_found,
            "facts_missing": self.facts_missing,
            "facts_wrong": self.facts_wrong,
            "points_found": self.points_found,
            "points_missing": self.points_missing,
            "extracted": self.extracted,
        }


def _label(ef: ExpectedFact) -> str:
    return ef.description or (f"{ef.kind} ({', '.join(ef.topic[:3])})" if ef.topic else ef.kind)


def _fact_dict(f: Fact) -> dict[str, Any]:
    return {"kind": f.kind, "value": f.value, "text": f.text[:300]}


def _topic_only(ef: ExpectedFact) -> ExpectedFact:
    """The same expectation without its value: does a fact at least answer the right thing?"""
    return ef.model_copy(update={"value": None, "amount": None, "tolerance": None})


def _assign_facts(key: AnswerKey, facts: list[Fact], whole: str, proposal: GradeProposal) -> None:
    """Match expected facts to extracted ones, each extracted fact used once. The topic is looked for around
    the fact first, and in the whole answer when the key expects only one fact of that kind (an e-mail answer
    is about the question even where a sentence does not repeat its subject)."""
    used: set[int] = set()
    kinds = [ef.kind for ef in key.expected_facts]
    for ef in key.expected_facts:
        lenient = kinds.count(ef.kind) == 1
        found = wrong = None
        for strict in (True, False) if lenient else (True,):
            for i, f in enumerate(facts):
                if i in used or f.kind != ef.kind:
                    continue
                fd = f.model_dump()
                ctx = f"{f.context or ''} {f.text}" if strict else f"{f.context or ''} {whole}"
                if ef.matches(fd, ctx):
                    found = i
                    break
                if wrong is None and _topic_only(ef).matches(fd, ctx):
                    wrong = i
            if found is not None:
                break
        if found is not None:
            used.add(found)
            proposal.facts_found.append(
                {"kind": ef.kind, "expected": _label(ef), "fact": _fact_dict(facts[found])}
            )
        elif wrong is not None:
            proposal.facts_wrong.append(
                {"kind": ef.kind, "expected": _label(ef), "fact": _fact_dict(facts[wrong])}
            )
        else:
            proposal.facts_missing.append({"kind": ef.kind, "expected": _label(ef)})


def propose_grade(
    key: AnswerKey | None,
    text: str,
    *,
    kind: str = "substantive",
    signature: str = "",
    subject: str = "",
) -> GradeProposal:
    """Grade an answer's new text (`signature`: its sign-off, searched for phone numbers and addresses only)."""
    words = len(text.split())
    if kind == "referral":
        return GradeProposal("relevant", 0.6, ["a referral: on topic, but not an answer"])
    if kind != "substantive":
        return GradeProposal("none", 0.8, [f"a {kind} is not an answer"])
    if key is None:
        return GradeProposal(
            "relevant" if words >= _MIN_WORDS else "none",
            0.1,
            ["no answer key for this question: grade it by hand"],
        )
    facts = extract_facts(text)
    if signature:
        facts += [f for f in extract_facts(signature) if f.kind in ("phone", "email")]
    proposal = GradeProposal("none", 0.0, extracted=[_fact_dict(f) for f in facts])
    _assign_facts(key, facts, f"{subject}\n{text}", proposal)
    for rp in key.required_points:
        terms = rp.any_of.found_in(text)
        item = {"id": rp.id, "description": rp.description}
        if terms:
            proposal.points_found.append({**item, "terms": terms})
        else:
            proposal.points_missing.append(item)
    total = len(key.expected_facts) + len(key.required_points)
    found = len(proposal.facts_found) + len(proposal.points_found)
    wrong = len(proposal.facts_wrong)
    summary = f"{found} of {total} expected facts and points found" + (f", {wrong} wrong" if wrong else "")
    if found == total:
        proposal.grade, proposal.confidence = "correct", 0.85
    elif found:
        proposal.grade, proposal.confidence = "partial", 0.6 if found * 2 >= total else 0.5
    elif wrong:
        proposal.grade, proposal.confidence = "none", 0.5
        summary += ": the answer is wrong"
    elif words >= _MIN_WORDS:
        proposal.grade, proposal.confidence = "relevant", 0.45
        summary += ": on topic but without the facts asked for"
    else:
        proposal.grade, proposal.confidence = "none", 0.4
        summary += " and almost no text"
    proposal.reasons.append(summary)
    proposal.reasons += [f"found {f['expected']}: {f['fact']['text'][:80]}" for f in proposal.facts_found]
    proposal.reasons += [f"wrong {f['expected']}: {f['fact']['text'][:80]}" for f in proposal.facts_wrong]
    proposal.reasons += [f"missing {f['expected']}" for f in proposal.facts_missing]
    proposal.reasons += [f"point {p['id']}: {', '.join(p['terms'][:3])}" for p in proposal.points_found]
    proposal.reasons += [f"missing point {p['id']}: {p['description']}" for p in proposal.points_missing]
    return proposal
