"""GitHub Classroom's workflow for a lab: one pilab check, then a grader step per check.

The values are written as JSON strings, which YAML reads as they are.
"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

from pilab.check.formats import load_weights
from pilab.check.host import check_names

if TYPE_CHECKING:
    from pilab.autograder import Bundle

GRADER = "classroom-resources/autograding-command-grader@v1"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
RESULTS = ".pilab/results.json"  # in the workspace: the grader steps run there
KVM_RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"'


def _q(text: str) -> str:
    return json.dumps(text)


def check_points(bundle: Bundle) -> list[tuple[str, float]]:
    """Every check of the lab with its points (the weights file's, or one)."""
    names = check_names(bundle.lab)
    weights = load_weights(bundle.weights, names) if bundle.weights else {}
    return [(name, weights.get(name, 1.0)) for name in names]


def workflow(bundle: Bundle) -> str:
    """.github/workflows/pilab.yml."""
    minutes = int(bundle.timeout // 60) + 15  # the image build comes first
    lines = [
        "# pilab's autograding: written by pilab autograder classroom; see README.md.",
        "name: pilab",
        "on: [push, workflow_dispatch]",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  grade:",
        "    runs-on: ubuntu-latest",
        f"    timeout-minutes: {minutes}",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - name: KVM, where the runner has it",
        "        run: |",
        "          if [ -e /dev/kvm ]; then",
        f"            echo {shlex.quote(KVM_RULE)} | "
        "sudo tee /etc/udev/rules.d/99-kvm4all.rules",
        "            sudo udevadm control --reload-rules",
        "            sudo udevadm trigger --name-match=kvm",
        "          else",
        "            echo 'no /dev/kvm here: the VM runs under TCG, about a minute a boot'",
        "          fi",
        "      - name: pilab's image",
        "        run: docker build -t pilab-grader .github/pilab",
        f"      - name: {_q(f'pilab check {bundle.lab}')}",
        "        run: |",
        '          mkdir -p .pilab',
        '          docker run --rm --privileged -v "$GITHUB_WORKSPACE:/submission:ro" '
        '-v "$GITHUB_WORKSPACE/.pilab:/results" pilab-grader /opt/classroom.sh',
    ]
    ids = []
    for number, (name, points) in enumerate(check_points(bundle), start=1):
        step = f"check{number}"
        ids.append(step)
        command = f".github/pilab/passed.sh {RESULTS} {shlex.quote(name)}"
        lines += [
            f"      - name: {_q(name)}",
            f"        id: {step}",
            f"        uses: {GRADER}",
            "        with:",
            f"          test-name: {_q(name)}",
            f"          command: {_q(command)}",
            "          timeout: 1",
            f"          max-score: {points:g}",
        ]
    lines += [
        "      - name: Autograding Reporter",
        f"        uses: {REPORTER}",
        "        env:",
        *(f"          {step.upper()}_RESULTS: \"${{{{steps.{step}.outputs.result}}}}\""
          for step in ids),
        "        with:",
        f"          runners: {','.join(ids)}",
    ]
    return "\n".join(lines) + "\n"
