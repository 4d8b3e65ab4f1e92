"""The lesson tables agree with the labs' checks and the fixtures on disk."""

from __future__ import annotations

import lessons
import pytest

from pilab.labs import LABS

FIXTURE_DIRS = [p for kind in ("broken", "correct")
                for p in sorted((lessons.FIXTURES / kind).glob("*/*")) if p.is_dir()]


def test_every_lab_has_a_table() -> None:
    assert lessons.labs() == sorted(LABS)


@pytest.mark.parametrize("lab", lessons.labs())
def test_a_table_names_real_checks_and_fixtures(lab: str) -> None:
    checks = set(lessons.all_checks(lab))
    fixtures = lessons.table(lab)
    assert len({f.name for f in fixtures}) == len(fixtures), "a fixture named twice"
    for fixture in fixtures:
        assert fixture.checks <= checks, (fixture.name, fixture.checks - checks)
        assert not fixture.lesson or fixture.checks, f"{fixture.name}: a lesson with no check"
        if fixture.name == lessons.OURS:
            continue
        heads = [p.read_text().splitlines()[1:3] for p in fixture.directory.glob("*.c")]
        kind = ("// BROKEN", "// MUST FAIL: ") if fixture.lesson else (
            "// CORRECT: ", "// MUST PASS: every check.")
        assert any(h[0].startswith(kind[0]) and h[1].startswith(kind[1]) for h in heads), \
            f"{fixture.directory}: its second and third lines say what it is: {kind}"


def test_every_fixture_on_disk_is_in_a_table() -> None:
    """A fixture nobody grades proves nothing."""
    named = {f.directory for lab in lessons.labs() for f in lessons.table(lab)}
    assert set(FIXTURE_DIRS) <= named, set(FIXTURE_DIRS) - named


def test_kernel_bounds_decide_what_a_fixture_must_fail() -> None:
    [request_array] = [f for f in lessons.table("intrpt") if f.name == "guide_request_array"]
    assert request_array.expected_failures("6.1.0-27-amd64") == set()
    assert request_array.expected_failures("6.12.118+deb12-amd64") == set(
        lessons.all_checks("intrpt")), "no build: every check fails"
    [trap] = [f for f in lessons.table("intrpt") if f.name == "no_desc_check"]
    assert trap.expected_failures("6.1.0") == {"bad pins are refused cleanly"}
    assert trap.expected_failures("6.12.0") == set()
