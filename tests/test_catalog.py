from pathlib import Path

import pytest

from simulator.catalog import CatalogError, load_catalog
from simulator.models import CODING_ROUNDS, ROUND_KINDS

ROOT = Path(__file__).resolve().parents[1]


def test_every_round_kind_has_a_rubric_and_questions(catalog):
    for kind in ROUND_KINDS:
        assert kind in catalog.rubrics, kind
        minimum = 2 if kind in CODING_ROUNDS else 6
        if kind == "research-presentation":
            minimum = 3  # audience settings, not topics: the talk is the candidate's own
        assert len(catalog.questions_for(kind)) >= minimum, kind


def test_the_fixed_ids_exist(catalog):
    assert "system-design/url-shortener" in catalog.questions
    assert "ml-system-design/youtube-recommendations" in catalog.questions


def test_the_three_loop_presets_exist(catalog):
    assert {"meta-research-engineer", "meta-ml-engineer", "msr-research-software-engineer"} <= set(
        catalog.loops
    )
    screen = catalog.loops["meta-research-engineer"].rounds[0]
    assert (screen.round, screen.stage, screen.area) == ("research", "screening", "cv")


def test_every_question_has_real_key_points_and_probes(catalog):
    for question in catalog.questions.values():
        assert len(question.key_points) >= 4, question.id
        assert len(question.probes) >= 3, question.id
        for kp in question.key_points:
            assert len(kp.text.split()) >= 5, (question.id, kp.id)


def _catalog_with(tmp_path: Path, rel: str, text: str) -> Path:
    import shutil

    root = tmp_path / "rubrics"
    shutil.copytree(
        ROOT / "rubrics" / "system-design",
        root / "system-design",
        ignore=shutil.ignore_patterns("questions"),
    )
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return root


GOOD = (ROOT / "rubrics/system-design/questions/url-shortener.yaml").read_text()


def test_invalid_yaml_names_file_and_line(tmp_path):
    root = _catalog_with(
        tmp_path, "system-design/questions/x.yaml", "title: [unclosed\nprompt: p\n"
    )
    with pytest.raises(CatalogError, match=r"x\.yaml:\d+: invalid YAML"):
        load_catalog(root)


def test_unknown_key_names_file_and_line(tmp_path):
    text = GOOD.replace("difficulty: medium", "difficulty: medium\ndifficultly: hard")
    root = _catalog_with(tmp_path, "system-design/questions/url-shortener.yaml", text)
    line = text.splitlines().index("difficultly: hard") + 1
    with pytest.raises(CatalogError, match=rf"url-shortener\.yaml:{line}: difficultly"):
        load_catalog(root)


def test_unknown_criterion_names_the_line(tmp_path):
    text = GOOD.replace("criterion: deep-dive", "criterion: depth", 1)
    root = _catalog_with(tmp_path, "system-design/questions/url-shortener.yaml", text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "criterion: depth" in row)
    with pytest.raises(CatalogError, match=rf":{line}: .*'depth' is not a criterion"):
        load_catalog(root)


def test_bad_signal_regex_is_reported(tmp_path):
    text = GOOD.replace("'base ?62'", "'base (62'")
    root = _catalog_with(tmp_path, "system-design/questions/url-shortener.yaml", text)
    with pytest.raises(CatalogError, match=r"url-shortener\.yaml:\d+: bad signal"):
        load_catalog(root, check_signals=True)
