"""Tests for annotator.scheme: the default claims scheme, hashing, labels and every error case."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from annotator.scheme import (
    RESERVED_KEYS,
    Scheme,
    SchemeError,
    default_scheme_path,
    load_scheme,
    load_scheme_text,
    parse_ref,
)

REPO = Path(__file__).resolve().parent.parent
CLAIMS = REPO / "guidelines" / "claims.yaml"
DATA = Path(__file__).resolve().parent / "data" / "schemes"


@pytest.fixture(scope="module")
def claims() -> Scheme:
    """The shipped default scheme."""
    return load_scheme(CLAIMS)


@pytest.fixture(scope="module")
def tiny() -> Scheme:
    """A small fixture scheme with a digit key and a guideline found by file stem."""
    return load_scheme(DATA / "tiny.yaml")


def _seed_text() -> str:
    return " ".join(" ".join(p.read_text("utf-8").split()) for p in (REPO / "seeds").glob("*.txt"))


# --- the default scheme and its guideline ------------------------------------------------------


def test_default_scheme_has_exactly_the_specified_groups_and_keys(claims: Scheme) -> None:
    assert (claims.name, claims.version) == ("claims", "1")
    assert [(g.name, g.kind) for g in claims.groups] == [
        ("claim_type", "single"),
        ("flags", "multi"),
    ]
    assert claims.key_map() == {
        "a": ("claim_type", "attributed"),
        "e": ("claim_type", "editorial"),
        "n": ("claim_type", "no_claim"),
        "f": ("flags", "framing"),
        "d": ("flags", "disputed"),
    }
    assert claims.group("flags").choice("framing").key == "f"
    assert claims.source_path == CLAIMS
    assert claims.guidelines_path is not None and claims.guidelines_path.name == "claims.md"
    assert claims.guidelines_text.startswith("# Labelling claims")
    assert claims.empty_labels() == {"claim_type": None, "flags": []}


def test_default_scheme_examples_are_verbatim_seed_sentences(claims: Scheme) -> None:
    seeds = _seed_text()
    examples = [e for g in claims.groups for c in g.choices for e in c.examples]
    assert len(examples) >= 10
    missing = [e for e in examples if " ".join(e.split()) not in seeds]
    assert missing == []


def test_guideline_has_one_heading_per_group_and_mentions_every_choice(claims: Scheme) -> None:
    lines = claims.guidelines_text.splitlines()
    for group in claims.groups:
        assert lines.count(f"## {group.name}") == 1
        for choice in group.choices:
            row = f"| `{choice.key}` | {group.name} | {choice.name} |"
            assert sum(ln.startswith(row) for ln in lines) == 1


def test_guideline_worked_examples_quote_the_seeds_exactly(claims: Scheme) -> None:
    seeds = _seed_text()
    lines = claims.guidelines_text.splitlines()
    quoted = [ln.split("> ", 1)[1] for ln in lines if re.match(r"\d+\. > ", ln)]
    assert len(quoted) == 12
    for sentence in quoted:
        for part in sentence.split("..."):
            assert part.strip(" ,") in seeds, part


def test_default_scheme_path_prefers_env_then_cwd_then_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANNOTATOR_SCHEME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_scheme_path() == CLAIMS
    local = tmp_path / "guidelines" / "claims.yaml"
    local.parent.mkdir()
    local.write_text(CLAIMS.read_text("utf-8"), "utf-8")
    assert default_scheme_path().resolve() == local.resolve()
    monkeypatch.setenv("ANNOTATOR_SCHEME", str(DATA / "tiny.yaml"))
    assert default_scheme_path() == DATA / "tiny.yaml"
    assert load_scheme(default_scheme_path()).name == "tiny"


def test_reserved_keys_are_the_navigation_keys() -> None:
    assert set("jkgGN[]uc?q/:H ") == RESERVED_KEYS
    assert "n" not in RESERVED_KEYS
    assert not RESERVED_KEYS & set("0123456789")


# --- refs and hashes ----------------------------------------------------------------------------


def test_ref_format_and_parse_ref(claims: Scheme) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", claims.hash)
    assert claims.ref == f"claims@1+{claims.hash[:12]}"
    assert parse_ref(claims.ref) == ("claims", "1", claims.hash[:12])
    assert parse_ref("claims@1") == ("claims", "1", None)
    assert parse_ref("my-scheme@2.0.1+0123456789ab") == ("my-scheme", "2.0.1", "0123456789ab")


@pytest.mark.parametrize(
    "ref", ["claims", "claims@", "@1", "claims@1+", "claims@1+0123", "claims@1+0123456789AB", ""]
)
def test_parse_ref_rejects_malformed_refs(ref: str) -> None:
    with pytest.raises(SchemeError) as info:
        parse_ref(ref)
    assert "\n" not in str(info.value) and "name@version" in str(info.value)


def test_hash_is_sha256_of_documented_canonical_json(tiny: Scheme) -> None:
    canonical = (
        '{"description":"Two groups, to test hashing and formatting independence.",'
        '"groups":[{"choices":[{"definition":"Supports the proposal.",'
        '"examples":["We back the deal."],"key":"p","name":"pro"},'
        '{"definition":"Opposes the proposal: says no.","examples":[],"key":"1","name":"con"}],'
        '"description":"The stance of the sentence.","kind":"single","name":"stance"},'
        '{"choices":[{"definition":"Uses hedging words like “maybe”.",'
        '"examples":["Perhaps it will work.","It might, it might not."],"key":"h",'
        '"name":"hedged"}],"description":"","kind":"multi","name":"marks"}],'
        '"name":"tiny","version":"2.0"}'
    )
    assert tiny.hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert tiny.ref == f"tiny@2.0+{tiny.hash[:12]}"


def test_reformatted_yaml_has_the_same_hash(tiny: Scheme) -> None:
    other = load_scheme(DATA / "tiny_reformatted.yaml")
    assert other.hash == tiny.hash
    assert other.guidelines_text == ""  # no tiny_reformatted.md: prose is not part of the hash
    assert tiny.guidelines_text.startswith("# Tiny guideline")


def test_restyled_default_scheme_has_the_same_hash(claims: Scheme) -> None:
    def reverse(node: object) -> object:
        if isinstance(node, dict):
            return {k: reverse(node[k]) for k in reversed(list(node))}
        if isinstance(node, list):
            return [reverse(v) for v in node]
        return node

    data = reverse(yaml.safe_load(CLAIMS.read_text("utf-8")))
    text = "# restyled\n" + yaml.safe_dump(data, default_flow_style=True, width=60)
    assert load_scheme_text(text).hash == claims.hash


def test_guideline_prose_and_file_location_do_not_change_the_hash(
    tmp_path: Path, claims: Scheme
) -> None:
    copy = tmp_path / "elsewhere.yaml"
    copy.write_text(CLAIMS.read_text("utf-8").replace("guidelines: claims.md", "guidelines: g.md"))
    (tmp_path / "g.md").write_text("# Different prose\n", "utf-8")
    moved = load_scheme(copy)
    assert moved.guidelines_text == "# Different prose\n"
    assert moved.hash == claims.hash


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("key: d", "key: x"),  # a key
        ("name: disputed", "name: contested"),  # a choice name
        ("explicitly contradicts", "clearly contradicts"),  # a definition
        ('version: "1"', 'version: "2"'),
        ("kind: multi", "kind: single"),
        ("      Independent flags", "      Separate flags"),  # a group description
        ("  - '\"Russia is open", "  - '\"Moscow is open"),  # an example
    ],
)
def test_content_changes_change_the_hash(claims: Scheme, old: str, new: str) -> None:
    text = CLAIMS.read_text("utf-8")
    assert text.count(old) == 1
    assert load_scheme_text(text.replace(old, new)).hash != claims.hash


def test_choice_order_is_part_of_the_hash(tiny: Scheme) -> None:
    data = tiny.content()
    data["groups"][0]["choices"].reverse()
    assert load_scheme_text(yaml.safe_dump(data)).hash != tiny.hash


# --- to_yaml -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [CLAIMS, DATA / "tiny.yaml"])
def test_to_yaml_round_trips_to_the_same_hash(path: Path) -> None:
    scheme = load_scheme(path)
    text = scheme.to_yaml()
    assert text.startswith(f"# {scheme.ref}\n")
    again = load_scheme_text(text)
    assert again.hash == scheme.hash
    assert again.content() == scheme.content()
    assert again.to_yaml() == text


_odd_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s != "")


@settings(max_examples=60, deadline=None)
@given(definition=_odd_text, examples=st.lists(_odd_text, max_size=3), version=_odd_text)
def test_to_yaml_round_trips_awkward_strings(
    definition: str, examples: list[str], version: str
) -> None:
    version = re.sub(r"[^A-Za-z0-9_.-]", "", version) or "v"
    version = version if version[0].isalnum() else "v" + version
    scheme = Scheme.model_validate(
        {
            "name": "odd",
            "version": version,
            "groups": [
                {
                    "name": "g",
                    "kind": "single",
                    "choices": [
                        {"name": "c", "key": "%", "definition": definition, "examples": examples}
                    ],
                }
            ],
        }
    )
    again = load_scheme_text(scheme.to_yaml())
    assert again.content() == scheme.content()
    assert again.hash == scheme.hash


# --- labels --------------------------------------------------------------------------------------


def test_apply_key_sets_clears_replaces_and_toggles(claims: Scheme) -> None:
    labels = claims.empty_labels()
    labels = claims.apply_key(labels, "a")
    assert labels == {"claim_type": "attributed", "flags": []}
    assert claims.apply_key(labels, "a") == {"claim_type": None, "flags": []}
    assert claims.apply_key(labels, "e") == {"claim_type": "editorial", "flags": []}
    labels = claims.apply_key(claims.apply_key(labels, "d"), "f")
    assert labels == {"claim_type": "attributed", "flags": ["framing", "disputed"]}
    assert claims.apply_key(labels, "f") == {"claim_type": "attributed", "flags": ["disputed"]}
    assert claims.apply_key({}, "n") == {"claim_type": "no_claim", "flags": []}


def test_apply_key_does_not_modify_its_input(claims: Scheme) -> None:
    labels: dict[str, object] = {"claim_type": "editorial", "flags": ["framing"]}
    claims.apply_key(labels, "f")
    assert labels == {"claim_type": "editorial", "flags": ["framing"]}


@pytest.mark.parametrize("key", ["j", "x", "A", "", "ae"])
def test_apply_key_with_unknown_key_raises_key_error(claims: Scheme, key: str) -> None:
    with pytest.raises(KeyError):
        claims.apply_key({}, key)


def test_normalize_labels_fills_dedupes_and_orders(claims: Scheme) -> None:
    assert claims.normalize_labels({}) == {"claim_type": None, "flags": []}
    got = claims.normalize_labels({"flags": ["disputed", "framing", "disputed"]})
    assert got == {"claim_type": None, "flags": ["framing", "disputed"]}
    got = claims.normalize_labels({"claim_type": "no_claim", "flags": ("disputed",)})
    assert got == {"claim_type": "no_claim", "flags": ["disputed"]}


@pytest.mark.parametrize(
    ("labels", "place", "fix"),
    [
        ({"stance": "pro"}, "group 'stance'", "use claim_type, flags"),
        ({"claim_type": "opinion"}, "labels.claim_type 'opinion'", "use one of attributed"),
        ({"claim_type": ["editorial"]}, "labels.claim_type must be", "choice name or null"),
        ({"claim_type": 1}, "labels.claim_type must be", "got int 1"),
        ({"flags": "framing"}, "labels.flags must be a list", "got 'framing'"),
        ({"flags": None}, "labels.flags must be a list", "got nothing (null)"),
        ({"flags": ["framing", "loaded"]}, "labels.flags[1] 'loaded'", "use one of framing"),
        ({"flags": ["framing", 3]}, "labels.flags[1] int 3", "use one of framing"),
        (["attributed"], "labels must be a mapping", "got list"),
    ],
)
def test_normalize_labels_rejects_bad_labels_in_one_line(
    claims: Scheme, labels: object, place: str, fix: str
) -> None:
    with pytest.raises(SchemeError) as info:
        claims.normalize_labels(labels)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"labels for {claims.ref}: ")
    assert place in message and fix in message


def test_is_complete_needs_every_single_group(claims: Scheme, tiny: Scheme) -> None:
    assert not claims.is_complete({})
    assert not claims.is_complete({"flags": ["framing"]})
    assert claims.is_complete({"claim_type": "no_claim"})
    assert tiny.is_complete({"stance": "con", "marks": []})
    with pytest.raises(SchemeError):
        claims.is_complete({"claim_type": "maybe"})


def test_lookups_raise_key_error(claims: Scheme) -> None:
    with pytest.raises(KeyError):
        claims.group("stance")
    with pytest.raises(KeyError):
        claims.group("claim_type").choice("framing")


def test_scheme_is_frozen(claims: Scheme) -> None:
    with pytest.raises(ValidationError):
        claims.name = "other"  # type: ignore[misc]


def test_digit_keys_are_allowed_quoted_or_not(tiny: Scheme) -> None:
    assert tiny.key_map()["1"] == ("stance", "con")
    assert tiny.apply_key({}, "1") == {"stance": "con", "marks": []}


# --- every validation error: one line, names the file, the place and the fix -------------------

GOOD = """\
name: test
version: "1"
groups:
  - name: first
    kind: single
    choices:
      - {name: yes_choice, key: y, definition: Yes.}
      - {name: no_choice, key: x, definition: No.}
  - name: second
    kind: multi
    choices:
      - {name: flag, key: z, definition: A flag.}
"""


def _error(tmp_path: Path, text: str | bytes) -> tuple[Path, str]:
    path = tmp_path / "bad.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"{path}: ")
    return path, message


def test_good_base_for_error_cases_is_valid() -> None:
    assert load_scheme_text(GOOD).key_map() == {
        "y": ("first", "yes_choice"),
        "x": ("first", "no_choice"),
        "z": ("second", "flag"),
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            'version: "1"\n',
            'version: "1"\ncolour: red\n',
            "colour is not a known field; remove it or fix the spelling",
            id="unknown-top-field",
        ),
        pytest.param(
            "    kind: multi\n",
            "    kind: multi\n    colour: red\n",
            "groups[1].colour is not a known field; remove it",
            id="unknown-group-field",
        ),
        pytest.param(
            "key: x, definition: No.",
            "key: x, definition: No., colour: red",
            "groups[0].choices[1].colour is not a known field; remove it",
            id="unknown-choice-field",
        ),
        pytest.param(
            "key: z,",
            "key: y,",
            "groups[1].choices[0].key 'y' is already used by groups[0].choices[0] "
            "(first.yes_choice); choose another key",
            id="duplicate-key-across-groups",
        ),
        pytest.param(
            "key: x,",
            "key: y,",
            "groups[0].choices[1].key 'y' is already used by groups[0].choices[0]",
            id="duplicate-key-within-group",
        ),
        pytest.param(
            "key: x,",
            "key: j,",
            "groups[0].choices[1].key 'j' is reserved for navigation (j/k move); "
            "choose another key",
            id="reserved-key-j",
        ),
        pytest.param(
            "key: x,",
            "key: N,",
            "groups[0].choices[1].key 'N' is reserved for navigation",
            id="reserved-key-N",
        ),
        pytest.param(
            "key: x,",
            "key: '?',",
            "groups[0].choices[1].key '?' is reserved for navigation",
            id="reserved-key-question",
        ),
        pytest.param(
            "key: x,",
            "key: ' ',",
            "groups[0].choices[1].key ' ' is reserved for navigation",
            id="reserved-key-space",
        ),
        pytest.param(
            "key: x,",
            "key: xy,",
            "groups[0].choices[1].key 'xy' must be exactly one character",
            id="multi-char-key",
        ),
        pytest.param(
            "key: x,",
            "key: '',",
            "groups[0].choices[1].key '' must be exactly one character",
            id="empty-key",
        ),
        pytest.param(
            "key: x,",
            'key: "\\t",',
            "groups[0].choices[1].key '\\t' is not a printable character",
            id="tab-key",
        ),
        pytest.param(
            "key: x,",
            "key: ~,",
            'groups[0].choices[1].key must be one character in quotes, e.g. key: "x"',
            id="null-key",
        ),
        pytest.param(
            "key: x,",
            "key: 12,",
            'groups[0].choices[1].key must be one character in quotes, e.g. key: "x" (got int 12)',
            id="number-key",
        ),
        pytest.param(
            "groups:\n",
            "groups: []\nold_groups:\n",
            "old_groups is not a known field",
            id="unknown-top-field-before-groups",
        ),
        pytest.param(
            "    kind: single\n",
            "    kind: single\n    kind: multi\n",
            "line 6, column 5: invalid YAML (duplicate key 'kind'); keep only one",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            "    kind: single\n",
            "    kind: both\n",
            "groups[0].kind 'both' is not allowed; use 'single' or 'multi'",
            id="bad-kind",
        ),
        pytest.param(
            "    kind: single\n",
            "",
            "groups[0].kind is missing; add it (single or multi)",
            id="missing-kind",
        ),
        pytest.param(
            "  - name: second\n",
            "  - name: first\n",
            "groups[1].name 'first' is already used by groups[0]; choose another name",
            id="duplicate-group-name",
        ),
        pytest.param(
            "name: no_choice,",
            "name: yes_choice,",
            "groups[0].choices[1].name 'yes_choice' is already used by choices[0]; "
            "choose another name",
            id="duplicate-choice-name",
        ),
        pytest.param(
            "  - name: second\n",
            "  - name: Second\n",
            "groups[1].name 'Second' is not a valid name; use lower-case letters",
            id="group-name-not-identifier",
        ),
        pytest.param(
            "name: no_choice,",
            "name: no-choice,",
            "groups[0].choices[1].name 'no-choice' is not a valid name",
            id="choice-name-not-identifier",
        ),
        pytest.param(
            "definition: No.}",
            "definition: ''}",
            "groups[0].choices[1].definition is empty; write a one-line definition",
            id="empty-definition",
        ),
        pytest.param(
            "definition: No.}",
            'definition: "No.\\nReally."}',
            "groups[0].choices[1].definition must be one line",
            id="multi-line-definition",
        ),
        pytest.param(
            "{name: flag, key: z, definition: A flag.}",
            "{name: flag, key: z}",
            "groups[1].choices[0].definition is missing; add it",
            id="missing-definition",
        ),
        pytest.param(
            "definition: A flag.}",
            "definition: A flag., examples: [1]}",
            "groups[1].choices[0].examples[0] must be text, got int 1",
            id="example-not-text",
        ),
        pytest.param(
            "definition: A flag.}",
            "definition: A flag., examples: one}",
            "groups[1].choices[0].examples must be a list, got 'one'",
            id="examples-not-list",
        ),
        pytest.param(
            "      - {name: flag, key: z, definition: A flag.}\n",
            "      - flag\n",
            "groups[1].choices[0] must be a mapping (field: value), got 'flag'",
            id="choice-not-mapping",
        ),
        pytest.param(
            "    choices:\n      - {name: flag, key: z, definition: A flag.}\n",
            "    choices: []\n",
            "groups[1].choices is empty; add at least one choice",
            id="group-without-choices",
        ),
        pytest.param(
            GOOD[GOOD.index("  - name: first") :],
            " []\n",
            "groups is empty; add at least one group",
            id="empty-groups",
        ),
        pytest.param(
            'version: "1"\n',
            "version: 1.5\n",
            'version 1.5 must be written as a quoted string, e.g. version: "1.5"',
            id="float-version",
        ),
        pytest.param(
            "name: test\n",
            "name: my scheme\n",
            "name 'my scheme' may only use letters, digits",
            id="name-with-space",
        ),
        pytest.param(
            "name: test\n",
            "",
            "name is missing; add it",
            id="missing-name",
        ),
        pytest.param(
            "  - name: second\n",
            "  - name: second\n   bad: [indent\n",
            "invalid YAML (",
            id="bad-yaml-syntax",
        ),
    ],
)
def test_validation_errors_are_one_clear_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert GOOD.count(old) == 1
    _, message = _error(tmp_path, GOOD.replace(old, new))
    assert expected in message


def test_reserved_key_message_matches_the_documented_example() -> None:
    text = GOOD.replace("key: x,", "key: j,")
    with pytest.raises(SchemeError) as info:
        load_scheme_text(text, source="guidelines/bad.yaml")
    assert str(info.value) == (
        "guidelines/bad.yaml: groups[0].choices[1].key 'j' is reserved for navigation "
        "(j/k move); choose another key"
    )


def test_several_problems_report_the_first_and_count_the_rest(tmp_path: Path) -> None:
    text = GOOD.replace("    kind: single\n", "").replace("key: z,", "key: zz,")
    _, message = _error(tmp_path, text)
    assert "groups[0].kind is missing" in message and message.endswith("(and 1 more problem)")


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    _, message = _error(tmp_path, "name: test\nversion: [1\ngroups: x\n")
    assert re.search(r"bad\.yaml: line 3, column \d+: invalid YAML \(.+\); fix the syntax", message)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- name: test\n- version: 1\n", "top level is list [{'name': 'test'}"),
        ("just words\n", "top level is 'just words'; expected a mapping"),
        ("", "file is empty; expected a mapping with name, version and groups"),
        ("# only a comment\n\n", "file is empty"),
        ("!!python/object:os.system x\n", "invalid YAML (could not determine a constructor"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, expected: str) -> None:
    _, message = _error(tmp_path, text)
    assert expected in message


def test_non_utf8_file(tmp_path: Path) -> None:
    _, message = _error(tmp_path, GOOD.encode("utf-8").replace(b"Yes.", b"Oui \xe9t\xe9."))
    assert "scheme file is not valid UTF-8 (byte 0xe9 at offset" in message
    assert message.endswith("save it as UTF-8")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_scheme(path).hash == load_scheme_text(GOOD).hash


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SchemeError) as info:
        load_scheme(missing)
    assert str(info.value) == (
        f"{missing}: scheme file not found; check the path or set ANNOTATOR_SCHEME"
    )
    with pytest.raises(SchemeError) as info:
        load_scheme(tmp_path)
    assert str(info.value).startswith(f"{tmp_path}: is a directory")


def test_guidelines_field_is_resolved_next_to_the_scheme(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "guidelines: docs/guide.md\n", "utf-8")
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    message = str(info.value)
    assert message == (
        f"{tmp_path / 'docs' / 'guide.md'}: guideline not found; "
        "fix the guidelines path or remove the field"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_bytes(b"## first\n\xff\n")
    with pytest.raises(SchemeError, match=r"guideline is not valid UTF-8 \(byte 0xff"):
        load_scheme(path)
    (tmp_path / "docs" / "guide.md").write_text("## first\n", "utf-8")
    scheme = load_scheme(path)
    assert scheme.guidelines_text == "## first\n"
    assert scheme.guidelines_path == tmp_path / "docs" / "guide.md"
    assert scheme.hash == load_scheme_text(GOOD).hash


@pytest.mark.parametrize("value", ["[a.md]", "''"])
def test_guidelines_field_must_be_a_path(tmp_path: Path, value: str) -> None:
    _, message = _error(tmp_path, GOOD + f"guidelines: {value}\n")
    assert "guidelines" in message and "is not a path" in message


def test_load_scheme_text_with_base_dir_finds_guideline_by_stem(tmp_path: Path) -> None:
    (tmp_path / "mine.md").write_text("## first\nprose\n", "utf-8")
    scheme = load_scheme_text(GOOD, source="mine.yaml", base_dir=tmp_path)
    assert scheme.guidelines_text == "## first\nprose\n"
    assert scheme.source_path is None
    assert load_scheme_text(GOOD, source="mine.yaml").guidelines_text == ""
    with pytest.raises(SchemeError, match=r"^mine\.yaml: groups\[0\]\.kind"):
        load_scheme_text(GOOD.replace("kind: single", "kind: one"), source="mine.yaml")
