"""Loads rubrics, question banks, loop presets and prompts from disk.

Layout (under the rubrics directory):
    <round>/rubric.yaml               the round kind's rubric
    <round>/questions/<slug>.yaml     one question (coding problems too) per file
    loops/<id>.yaml                   loop presets

A malformed file raises CatalogError with one line that names the file and the line.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulator.models import (
    ROUND_KINDS,
    KeyPoint,
    LoopPreset,
    Misconception,
    NumericFact,
    Probe,
    Question,
    Rubric,
    StudyGuide,
)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogError(Exception):
    """A catalog file is missing or malformed; str() is one line naming the file and line."""


def data_dir(name: str) -> Path:
    """`rubrics` or `prompts`: inside the installed wheel, or at the top of a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_data" / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise CatalogError(f"cannot find the {name}/ directory next to {package}")


# ---------------------------------------------------------------- YAML with line numbers


def _line_of(node: yaml.Node, loc: Iterable[Any]) -> int:
    """The 1-based line of the YAML node at a pydantic error location (as deep as it exists)."""
    line = node.start_mark.line
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                match = next((k for k, _ in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line
    return line + 1


M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, model: type[M], **extra: Any) -> M:
    """Parse one YAML file into `model`; errors name the file and the line."""
    return _load(path, model, **extra)[0]


def _load(path: Path, model: type[M], **extra: Any) -> tuple[M, yaml.Node]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CatalogError(f"{path}: cannot read: {err}") from None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise CatalogError(f"{where}: invalid YAML: {problem}") from None
    if node is None or not isinstance(data, dict):  # an empty file has no node and no data
        raise CatalogError(f"{path}:1: expected a mapping of fields")
    try:
        return model.model_validate({**extra, **data}), node
    except ValidationError as err:
        first = err.errors()[0]
        loc = [part for part in first["loc"]]
        line = _line_of(node, loc)
        dotted = ".".join(str(p) for p in loc) or "(file)"
        raise CatalogError(f"{path}:{line}: {dotted}: {first['msg']}") from None


def check_cut_values(path: Path, node: yaml.Node | None) -> None:
    """A plain (unquoted) prose value followed by ` #` on its line was cut there: YAML reads
    the rest as a comment ("an item that is #101" loses "#101 ..."). Raise naming the line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            stack.extend(value for pair in current.value for value in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.ScalarNode) and not current.style and " " in current.value:
            end = current.end_mark
            rest = lines[end.line][end.column :] if end.line < len(lines) else ""
            if rest[:1] in (" ", "\t") and rest.lstrip().startswith("#"):
                raise CatalogError(
                    f"{path}:{end.line + 1}: a value is cut by ` #` (YAML starts a comment "
                    f"there): quote it; kept only {quote_short(current.value)}"
                )


def quote_short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else "..." + text[-limit:])


# ---------------------------------------------------------------- signals


@cache
def compile_signal(signal: str) -> tuple[re.Pattern[str], ...]:
    """Compile one signal: parts joined by " & " must all match in one sentence.

    Cached for the process: the catalog check, the grader and the LLM turn guard compile the
    same thousands of signals, about a millisecond each (`re`'s own cache keeps only 512)."""
    return tuple(
        re.compile(rf"(?<![A-Za-z0-9])(?:{part.strip()})", re.IGNORECASE)
        for part in signal.split(" & ")
        if part.strip()
    )


_NEVER = re.compile(r"(?!x)x")


def signal_parts(signal: str) -> tuple[re.Pattern[str], ...]:
    """compile_signal for matching at run time: a signal that does not compile (the catalog
    check reports it) never matches instead of failing an interview."""
    try:
        return compile_signal(signal)
    except re.error:
        return (_NEVER,)


def _check_signals(path: Path, node: yaml.Node, where: list[Any], signals: list[str]) -> None:
    for index, signal in enumerate(signals):
        try:
            compile_signal(signal)
        except re.error as err:
            line = _line_of(node, [*where, index])
            hint = (
                " (' & ' splits a signal into parts: it cannot stand inside parentheses)"
                if " & " in signal
                else ""
            )
            raise CatalogError(f"{path}:{line}: bad signal {signal!r}: {err}{hint}") from None


# ---------------------------------------------------------------- the catalog


@dataclass
class Catalog:
    root: Path
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    loops: dict[str, LoopPreset] = field(default_factory=dict)
    guides: dict[str, StudyGuide] = field(default_factory=dict)

    def questions_for(self, round_kind: str) -> list[Question]:
        return [q for q in self.questions.values() if q.round == round_kind]

    def question(self, question_id: str) -> Question:
        if question_id in self.questions:
            return self.questions[question_id]
        raise KeyError(question_id)

    def rubric(self, round_kind: str) -> Rubric:
        return self.rubrics[round_kind]


def _validate_question(
    path: Path, node: yaml.Node, question: Question, rubric: Rubric | None, check_signals: bool
) -> None:
    criteria = {c.id for c in rubric.criteria} if rubric else set()
    point_ids = [kp.id for kp in question.key_points]
    if len(set(point_ids)) != len(point_ids):
        raise CatalogError(f"{path}:1: key_points: duplicate key point id")
    Section = tuple[str, Sequence[KeyPoint | Probe | Misconception | NumericFact]]
    sections: tuple[Section, ...] = (
        ("key_points", question.key_points),
        ("probes", question.probes),
        ("misconceptions", question.misconceptions),
        ("facts", question.facts),
    )
    for section, items in sections:
        for index, item in enumerate(items):
            if rubric and item.criterion not in criteria:
                line = _line_of(node, [section, index, "criterion"])
                raise CatalogError(
                    f"{path}:{line}: {section}.{index}.criterion: {item.criterion!r} is not a "
                    f"criterion of the {question.round} rubric ({', '.join(sorted(criteria))})"
                )
            if check_signals and hasattr(item, "signals"):
                _check_signals(path, node, [section, index, "signals"], item.signals)
            after = getattr(item, "after", None)
            if after and after not in point_ids:
                line = _line_of(node, [section, index, "after"])
                raise CatalogError(f"{path}:{line}: probes.{index}.after: no key point {after!r}")


def _catalog_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def load_catalog(root: Path | None = None, check_signals: bool = False) -> Catalog:
    """Load and validate every file. Compiling every signal is slow (seconds for thousands of
    regexes), so it is checked by `python -m simulator.catalog` and the tests, and at run time
    each signal is compiled when first used."""
    root = root or data_dir("rubrics")
    catalog = Catalog(root=root)
    for round_kind in ROUND_KINDS:
        rubric_path = root / round_kind / "rubric.yaml"
        if rubric_path.exists():
            rubric, node = _load(rubric_path, Rubric)
            if rubric.round != round_kind:
                raise CatalogError(f"{rubric_path}:1: round: {rubric.round!r} in {round_kind}/")
            if check_signals:
                for index, criterion in enumerate(rubric.criteria):
                    _check_signals(
                        rubric_path, node, ["criteria", index, "signals"], criterion.signals
                    )
            catalog.rubrics[round_kind] = rubric
        guide_path = root / round_kind / "study.yaml"
        if guide_path.exists():
            catalog.guides[round_kind] = load_model(guide_path, StudyGuide, round=round_kind)
        for path in sorted((root / round_kind / "questions").glob("*.yaml")):
            expected_id = f"{round_kind}/{path.stem}"
            question, node = _load(path, Question, id=expected_id, round=round_kind)
            if check_signals:
                check_cut_values(path, node)
            if question.id != expected_id or question.round != round_kind:
                raise CatalogError(f"{path}:1: id: must be {expected_id!r} (the file's place)")
            _validate_question(path, node, question, catalog.rubrics.get(round_kind), check_signals)
            catalog.questions[question.id] = question
    for path in sorted((root / "loops").glob("*.yaml")):
        loop = load_model(path, LoopPreset, id=path.stem)
        if loop.id != path.stem:
            raise CatalogError(f"{path}:1: id: must be {path.stem!r} (the file's name)")
        for index, loop_round in enumerate(loop.rounds):
            if loop_round.question and loop_round.question not in catalog.questions:
                raise CatalogError(
                    f"{path}: rounds.{index}.question: no question {loop_round.question!r}"
                )
        catalog.loops[loop.id] = loop
    return catalog


def _cache_key(root: Path) -> str:
    """Changes whenever a catalog file (or onsite itself) changes."""
    digest = hashlib.sha256(str(root).encode())
    for path in [*_catalog_files(root), Path(__file__), Path(__file__).with_name("models.py")]:
        stat = path.stat()
        digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:24]


def cached_catalog(root: Path | None = None) -> Catalog:
    """The catalog, from a pickle in the user cache directory when no file has changed
    (parsing a few hundred YAML files takes about a second; the pickle, milliseconds)."""
    from platformdirs import user_cache_dir

    root = root or data_dir("rubrics")
    from simulator.config import current

    chosen = current().cache_dir
    folder = Path(chosen or user_cache_dir("onsite"))
    target = folder / f"catalog-{_cache_key(root)}.pickle"
    try:
        found = pickle.loads(target.read_bytes())
        if isinstance(found, Catalog):
            return found
    except Exception:  # no cache yet, or one from another version: parse the files
        pass
    catalog = load_catalog(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("catalog-*.pickle"):
            old.unlink(missing_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, target)
    except OSError:
        pass  # a read-only home: no cache, still correct
    return catalog


@cache
def default_catalog() -> Catalog:
    return cached_catalog()


if __name__ == "__main__":  # python -m simulator.catalog: validate and count
    import sys

    try:
        found = load_catalog(Path(sys.argv[1]) if len(sys.argv) > 1 else None, check_signals=True)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    for kind in ROUND_KINDS:
        print(
            f"{kind:24} rubric={'yes' if kind in found.rubrics else 'NO '} "
            f"questions={len(found.questions_for(kind))}"
        )
    print(f"loops: {', '.join(found.loops) or 'none'}")
