"""The scoring model: every rule that turns observations into scores, as a versioned YAML file.

The packaged default (`kommunetest/method/default.yaml`) holds METHOD.md's figures. A project may use its own
copy; a score run stores the model's version and a hash of its content, so every published figure can be
traced to the exact rules that made it. Problems in a model file are reported with file, line and field.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from kommunetest.errors import Problem, ValidationError
from kommunetest.scenarios import SECTOR_WEIGHTS_2016, SECTORS
from kommunetest.yamlloc import LocatedYaml, YamlSyntaxError, format_path, load_located

if TYPE_CHECKING:
    from kommunetest.settings import Settings

DEFAULT_MODEL = "default.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebGrades(_Model):
    complete: float = Field(100, ge=0, le=100)
    partial: float = Field(60, ge=0, le=100)
    pdf_or_deep: float = Field(20, ge=0, le=100)
    absent: float = Field(0, ge=0, le=100)


class WebRules(_Model):
    grades: WebGrades = Field(default_factory=WebGrades)
    combine: Literal["mean", "min", "max", "desktop", "mobile"] = Field(
        "mean", description="How the desktop and mobile checks of one item combine."
    )


class QualityGrades(_Model):
    correct: float = Field(100, ge=0, le=100)
    partial: float = Field(60, ge=0, le=100)
    relevant: float = Field(20, ge=0, le=100)
    none: float = Field(0, ge=0, le=100)


class SpeedTier(_Model):
    within_days: float = Field(gt=0, description="Working days from sending to the answer, at most.")
    points: float = Field(ge=0, le=100)


def _default_tiers() -> list[SpeedTier]:
    return [SpeedTier(within_days=d, points=p) for d, p in ((1, 100), (3, 60), (5, 20))]


class EmailRules(_Model):
    speed_tiers: list[SpeedTier] = Field(default_factory=_default_tiers, min_length=1)
    late_points: float = Field(0, ge=0, le=100)
    quality: QualityGrades = Field(default_factory=QualityGrades)
    quality_within_days: float | None = Field(10, gt=0)
    combine: Literal["weighted", "product"] = "weighted"
    speed_weight: float = Field(0.5, ge=0)
    quality_weight: float = Field(0.5, ge=0)
    interim_credit: float = Field(0.0, ge=0, le=1)
    unconfirmed_quality: Literal["use", "wait"] = "use"

    @model_validator(mode="after")
    def _check(self) -> EmailRules:
        days = [t.within_days for t in self.speed_tiers]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("speed_tiers must be listed with strictly increasing within_days")
        if self.combine == "weighted" and self.speed_weight + self.quality_weight <= 0:
            raise ValueError("speed_weight and quality_weight cannot both be 0")
        return self


class PhoneWeights(_Model):
    quality: float = Field(50, ge=0)
    reached: float = Field(20, ge=0)
    courtesy: float = Field(20, ge=0)
    answered_within_15s: float = Field(5, ge=0)
    officer_within_60s: float = Field(5, ge=0)


class PhoneRules(_Model):
    quality: QualityGrades = Field(default_factory=QualityGrades)
    courtesy: dict[int, float] = Field(default_factory=lambda: {3: 100, 2: 67, 1: 33, 0: 0})
    weights: PhoneWeights = Field(default_factory=PhoneWeights)
    unreached_is_zero: bool = True

    @model_validator(mode="after")
    def _check(self) -> PhoneRules:
        if set(self.courtesy) != {0, 1, 2, 3}:
            raise ValueError("courtesy needs points for each step of the KKiK scale: 3, 2, 1 and 0")
        if any(not 0 <= v <= 100 for v in self.courtesy.values()):
            raise ValueError("courtesy points must lie between 0 and 100")
        if sum(self.weights.model_dump().values()) <= 0:
            raise ValueError("at least one phone weight must be above 0")
        return self


class ChannelWeights(_Model):
    web: float = Field(40, ge=0)
    phone: float = Field(30, ge=0)
    email: float = Field(30, ge=0)

    @model_validator(mode="after")
    def _check(self) -> ChannelWeights:
        if self.web + self.phone + self.email <= 0:
            raise ValueError("at least one channel weight must be above 0")
        return self


class SectorRules(_Model):
    use_weights: bool = False
    weights: dict[str, float] = Field(default_factory=lambda: dict(SECTOR_WEIGHTS_2016))

    @model_validator(mode="after")
    def _check(self) -> SectorRules:
        unknown = sorted(set(self.weights) - set(SECTORS))
        if unknown:
            raise ValueError(f"unknown sector {', '.join(unknown)} (known: {', '.join(SECTORS)})")
        if any(v < 0 for v in self.weights.values()):
            raise ValueError("sector weights must not be negative")
        if self.use_weights and sum(self.weights.values()) <= 0:
            raise ValueError("use_weights is on but every sector weight is 0")
        return self

    def weight(self, sector: str) -> float:
        """A sector left out of `weights` weighs 0: it is scored and shown, but not counted in the total."""
        return self.weights.get(sector, 0.0)


class BootstrapRules(_Model):
    resamples: int = Field(1000, ge=0, le=100_000, description="0 turns intervals off.")
    seed: int = 2027
    level: float = Field(0.95, gt=0, lt=1)


class RankingRules(_Model):
    min_coverage: float = Field(0.6, ge=0, le=1)
    pass_mark: float = Field(75, ge=0, le=100)
    small_population: int = Field(2000, ge=0)
    bootstrap: BootstrapRules = Field(default_factory=BootstrapRules)


class ScoringModel(_Model):
    """The whole model. Every field but `version` defaults to METHOD.md's figures."""

    version: str = Field(min_length=1, max_length=50)
    description: str = ""
    web: WebRules = Field(default_factory=WebRules)
    email: EmailRules = Field(default_factory=EmailRules)
    phone: PhoneRules = Field(default_factory=PhoneRules)
    channels: ChannelWeights = Field(default_factory=ChannelWeights)
    sectors: SectorRules = Field(default_factory=SectorRules)
    ranking: RankingRules = Field(default_factory=RankingRules)

    # Where it came from, for messages and the method page (not part of the content hash).
    source: str = Field("", exclude=True)

    def channel_weight(self, channel: str) -> float:
        return float(getattr(self.channels, channel))

    def content(self) -> dict[str, Any]:
        """The rules as plain JSON data (what is stored with a score run)."""
        return self.model_dump(mode="json")

    @property
    def content_hash(self) -> str:
        """SHA-256 of the rules in canonical JSON: comments and layout of the file do not change it."""
        text = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


_HINTS = {
    "missing": "add it (see kommunetest/method/default.yaml)",
    "greater_than_equal": "use a number in the allowed range",
    "less_than_equal": "use a number in the allowed range",
    "literal_error": None,
    "float_parsing": "write a number",
    "int_parsing": "write a whole number",
    "bool_parsing": "write true or false",
    "dict_type": "write a mapping (`key: value` lines) here",
    "model_type": "write a mapping (`key: value` lines) here",
    "list_type": "write a YAML list: one `- item` per line",
}


def _fields_at(path: tuple[str | int, ...]) -> list[str]:
    """Field names allowed in the mapping at `path` (for did-you-mean hints)."""
    ann: Any = ScoringModel
    for el in path:
        if isinstance(el, int) and get_origin(ann) is list:
            ann = get_args(ann)[0]
        elif isinstance(el, str) and isinstance(ann, type) and issubclass(ann, BaseModel):
            field = ann.model_fields.get(el)
            ann = field.annotation if field else None
        else:
            return []
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [f for f in ann.model_fields if f != "source"]
    return []


def _problems(err: PydanticValidationError, display: str, doc: LocatedYaml) -> list[Problem]:
    out = []
    for e in err.errors(include_url=False):
        loc = tuple(x for x in e["loc"] if isinstance(x, int | str))
        # Keys of int-keyed mappings (phone.courtesy) come back as text in the location.
        path = tuple(int(x) if isinstance(x, str) and x.isdigit() else x for x in loc)
        kind, message, hint = e["type"], e["msg"].removeprefix("Value error, "), _HINTS.get(e["type"])
        if kind == "extra_forbidden":
            name = str(path[-1])
            allowed = _fields_at(path[:-1])
            close = difflib.get_close_matches(name, allowed, n=1)
            message = f"unknown field `{name}`"
            hint = (f"did you mean `{close[0]}`? " if close else "") + f"allowed here: {', '.join(allowed)}"
        line = doc.line(path)
        out.append(Problem(display, message, line=line, field=format_path(path) or None, hint=hint))
    return out


def parse_model(text: str, display: str) -> ScoringModel:
    """A model from YAML text; `display` names the file in problems."""
    try:
        doc = load_located(text)
    except YamlSyntaxError as e:
        raise ValidationError([e.problem(display)]) from e
    problems = doc.duplicate_problems(display)
    if not isinstance(doc.data, dict):
        problems.append(
            Problem(
                display, "a scoring model is a YAML mapping", line=doc.line(()), hint="start with `version:`"
            )
        )
        raise ValidationError(problems, summary=f"the scoring model {display} has problems")
    if "source" in doc.data:
        problems.append(
            Problem(display, "unknown field `source`", line=doc.line(("source",)), field="source")
        )
    try:
        model = ScoringModel.model_validate({k: v for k, v in doc.data.items() if k != "source"})
    except PydanticValidationError as e:
        problems += _problems(e, display, doc)
        model = None
    if problems or model is None:
        problems.sort(key=lambda p: p.line or 0)
        n = len(problems)
        raise ValidationError(
            problems, summary=f"the scoring model {display} has {n} problem{'s' if n != 1 else ''}"
        )
    return model.model_copy(update={"source": display})


def load_model(path: str | Path | None = None) -> ScoringModel:
    """The model in `path`, or the packaged default when `path` is None."""
    if path is None:
        text = (resources.files("kommunetest.method") / DEFAULT_MODEL).read_text(encoding="utf-8")
        return parse_model(text, f"kommunetest/method/{DEFAULT_MODEL}")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ValidationError(
            [Problem(str(p), "file not found", hint="check the path given with --model or scoring_model")]
        ) from e
    except UnicodeDecodeError as e:
        raise ValidationError([Problem(str(p), f"not UTF-8 text: {e}", hint="save it as UTF-8")]) from e
    except OSError as e:
        raise ValidationError([Problem(str(p), f"cannot read: {e.strerror or e}")]) from e
    return parse_model(text, str(p))


def model_for(settings: Settings, path: str | Path | None = None) -> ScoringModel:
    """The model given on the command line, else [project] scoring_model, else the packaged default."""
    chosen = path if path is not None else settings.project.scoring_model
    return load_model(settings.path(chosen) if chosen else None)
