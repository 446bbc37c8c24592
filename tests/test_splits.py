"""``annotator export --split``: whole articles, duplicates together, seeded, loadable."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from annotator.domain import ArticleInfo
from annotator.export.labels_io import import_labels
from annotator.export.safe import ExportError
from annotator.export.splits import duplicate_groups, parse_split
from annotator.scheme import load_scheme
from annotator.service import Service
from annotator.store import articles as aq
from tests.conftest import SCHEME_PATH
from tests.test_export import A0, A1, export, labelled_copy

N_ARTICLES = 60
CHOICES = ["attributed"] * 4 + ["editorial"] * 4 + ["no_claim"] * 2


@pytest.fixture
def labelled(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The seeds labelled by three annotators (see tests/test_export.py)."""
    return labelled_copy(tmp_path_factory, tmp_path)


def build_corpus(path: Path) -> None:
    """60 distinct articles of 3-8 sentences, every unit labelled by alice and bob."""
    rng = random.Random(5)
    docs = []
    for i in range(N_ARTICLES):
        sentences = [
            f"Sentence {j} of story {i} reports that the council met on day {i * 10 + j}."
            for j in range(rng.randint(3, 8))
        ]
        docs.append({"id": f"gen-{i:03d}", "text": f"Story {i} headline\n" + " ".join(sentences)})
    corpus = path.parent / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")
    scheme = load_scheme(SCHEME_PATH)
    service = Service.open(f"sqlite:///{path}")
    try:
        assert not service.import_paths([corpus]).errors
        records = []
        for info in service.read(aq.list_articles):
            for unit in service.read(lambda s, i=info.id: aq.units_of(s, i)):
                claim = rng.choice(CHOICES)
                for name in ("alice", "bob"):
                    other = claim if rng.random() < 0.8 else rng.choice(CHOICES)
                    records.append(
                        {
                            "article": info.external_id,
                            "unit": unit.idx,
                            "start": unit.start,
                            "end": unit.end,
                            "annotator": name,
                            "scheme": scheme.ref,
                            "labels": {"claim_type": claim if name == "alice" else other},
                        }
                    )
        labels = path.parent / "labels.jsonl"
        labels.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
        import_labels(service, labels, scheme)
    finally:
        service.close()


@pytest.fixture(scope="session")
def corpus_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.db"
    build_corpus(path)
    return path


@pytest.fixture
def corpus(corpus_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "corpus.db"
    shutil.copy(corpus_template, path)
    return path


def split_files(
    folder: Path, names: tuple[str, ...] = ("train", "dev", "test")
) -> dict[str, list[dict]]:
    return {
        n: [json.loads(line) for line in (folder / f"{n}.jsonl").read_text("utf-8").splitlines()]
        for n in names
    }


def test_ratios_respected_and_no_article_in_two_splits(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "splits"
    assert (
        export(corpus, "--split", "train=0.8,dev=0.1,test=0.1", "--seed", "1", "-o", str(out)) == 0
    )
    splits = split_files(out)
    total = sum(len(v) for v in splits.values())
    for name, target in (("train", 0.8), ("dev", 0.1), ("test", 0.1)):
        assert abs(len(splits[name]) / total - target) < 0.03, name
    articles = {n: {r["article"] for r in v} for n, v in splits.items()}
    assert not articles["train"] & articles["dev"]
    assert not articles["train"] & articles["test"]
    assert not articles["dev"] & articles["test"]
    assert sum(len(a) for a in articles.values()) == N_ARTICLES
    # stratified: each split's claim_type mix is close to the whole's
    overall = Counter(r["label"]["claim_type"] for v in splits.values() for r in v)
    for records in splits.values():
        mix = Counter(r["label"]["claim_type"] for r in records)
        for label, n in overall.items():
            assert abs(mix[label] / len(records) - n / total) < 0.12, (label, mix)


def test_same_seed_same_files(corpus: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    export(corpus, "--split", "train=0.6,dev=0.2,test=0.2", "--seed", "7", "-o", str(a))
    export(corpus, "--split", "train=0.6,dev=0.2,test=0.2", "--seed", "7", "-o", str(b))
    for name in ("train.jsonl", "dev.jsonl", "test.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    seeds = set()
    for seed in range(4):
        out = tmp_path / f"s{seed}"
        export(corpus, "--split", "train=0.6,dev=0.2,test=0.2", "--seed", str(seed), "-o", str(out))
        seeds.add((out / "dev.jsonl").read_bytes())
    assert len(seeds) > 1  # the seed changes the assignment


def test_near_duplicates_stay_together(labelled: Path, tmp_path: Path) -> None:
    for seed in range(6):
        out = tmp_path / f"s{seed}"
        assert (
            export(
                labelled,
                "--split",
                "train=0.5,dev=0.25,test=0.25",
                "--seed",
                str(seed),
                "-o",
                str(out),
            )
            == 0
        )
        splits = split_files(out)
        where = {r["article"]: n for n, v in splits.items() for r in v}
        assert where[A0] == where[A1]  # seed 000 is a near-duplicate of 001
        assert all(len(v) > 0 for v in splits.values())


def test_duplicate_chains_form_one_group() -> None:
    def info(ext: str, dup: str | None) -> ArticleInfo:
        return ArticleInfo(id=0, external_id=ext, title="", source="", n_units=1, duplicate_of=dup)

    groups = duplicate_groups(
        [
            info("a", None),
            info("b", "a"),
            info("c", None),
            info("d", "c"),
            info("e", "d"),
            info("f", None),
            info("g", "missing"),
        ]
    )
    assert groups == {"a": "a", "b": "a", "c": "c", "d": "c", "e": "c", "f": "f", "g": "g"}


def test_dataset_card(corpus: Path, tmp_path: Path, scheme: object) -> None:
    out = tmp_path / "splits"
    export(corpus, "--split", "train=0.8,dev=0.1,test=0.1", "--seed", "3", "-o", str(out))
    card = (out / "README.md").read_text("utf-8")
    splits = split_files(out)
    assert f"Scheme: `{load_scheme(SCHEME_PATH).ref}`. Seed: 3." in card
    assert f"annotator export --split train=0.8,dev=0.1,test=0.1 --seed 3 -o {out}" in card
    counts = {n: Counter(r["label"]["claim_type"] for r in v) for n, v in splits.items()}
    row = "| claim_type=attributed | " + " | ".join(
        str(counts[n]["attributed"]) for n in ("train", "dev", "test")
    )
    assert row in card
    assert "| claim_type | " in card and "percent agreement" in card
    assert "  - split: dev\n    path: dev.jsonl" in card


def test_splits_load_with_hugging_face_datasets(corpus: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    out = tmp_path / "splits"
    export(corpus, "--split", "train=0.8,dev=0.1,test=0.1", "-o", str(out))
    files = {n: str(out / f"{n}.jsonl") for n in ("dev", "test", "train")}  # smallest first
    loaded = datasets.load_dataset("json", data_files=files, cache_dir=str(tmp_path / "cache"))
    splits = split_files(out)
    for name in files:
        assert loaded[name].num_rows == len(splits[name])
    row = loaded["train"][0]
    assert row["id"] == splits["train"][0]["id"]
    assert row["annotations"][0]["labels"]["flags"] == {"framing": False, "disputed": False}


def test_too_few_article_groups_is_refused(
    labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "splits"
    spec = "a=0.2,b=0.2,c=0.2,d=0.2,e=0.2"  # the seeds make 4 groups
    assert export(labelled, "--split", spec, "-o", str(out)) == 2
    assert "only 4 labelled article groups" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("train=0.8,dev=0.1", "add up to 0.9, not 1"),
        ("train=0.8,dev=0.3,test=-0.1", "must be above 0"),
        ("train=0.5,train=0.5", "named twice"),
        ("train=x,dev=1", "is not a number"),
        ("train", "is not NAME=RATIO"),
        ("../x=1", "is not NAME=RATIO"),
    ],
)
def test_bad_split_spec(spec: str, message: str) -> None:
    with pytest.raises(ExportError, match=message.replace(".", r"\.")):
        parse_split(spec)
