"""`notebooks/sanitize.cfg` covers only values that truly vary, each where it is shown.

nbval reads the file as pairs of `regex: ` / `replace: ` lines and applies each with
`re.sub` to the saved and the new outputs alike. A rule that matches no saved output hides
nothing and should go; a rule that matches fixed text (a key name that happens to be as long
as a thumbprint) hides what a reader is meant to see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

FOLDER = Path(__file__).resolve().parents[2] / "notebooks"
RULES = re.findall(
    "^regex: (.*)$\n^replace: (.*)$", (FOLDER / "sanitize.cfg").read_text(encoding="utf-8"), re.M
)
BINARY_MIME = re.compile(r"^(image|audio|video)/|widget-view\+json$")


def saved_texts(path: Path) -> Iterator[str]:
    """The output texts nbval compares in the notebook at `path` (no images, no widget views)."""
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                yield str(output.get("text", ""))
            if output.get("output_type") == "error":
                yield str(output.get("evalue", ""))
            for mime, value in (output.get("data") or {}).items():
                if not BINARY_MIME.search(mime):
                    yield value if isinstance(value, str) else json.dumps(value)


def sanitized(text: str) -> str:
    for regex, replace in RULES:
        text = re.sub(regex, replace, text)
    return text


TEXTS = [text for path in sorted(FOLDER.glob("[0-9][0-9]_*.ipynb")) for text in saved_texts(path)]


def test_the_file_has_rules() -> None:
    assert len(RULES) >= 10


@pytest.mark.parametrize(("regex", "replace"), RULES, ids=[regex[:40] for regex, _ in RULES])
def test_every_rule_matches_a_saved_output(regex: str, replace: str) -> None:
    assert any(re.search(regex, text) for text in TEXTS), f"unused sanitize rule {regex!r}"


def test_fixed_names_survive_the_thumbprint_rules() -> None:
    discovery = "".join(saved_texts(FOLDER / "05_authorization_code_pkce_par.ipynb"))
    assert "request_object_signing_alg_values_supported" in sanitized(discovery)


def test_thumbprints_are_hidden_where_they_are_shown() -> None:
    shown = [
        "Identity(subject='CN=x', not_after=2027-12-03, x5t#S256='N1q475f73PewnJFLqel69embFa1uX_6_m7lGkysxR5Y', with key)",
        "signing_kid='DLjnxN920zje1ITcnbu5L00ZzyajN5we-tlGPMjc5wc')",
        "x5t#S256 k6WjgTNk6i87agFruyrhR7If-laLFMb-lkmOmbe3zyM\n",
        "0  NXpKbE8_qoWMJVJeBHQ6BZLbrOdsPZzTj-hLC5IGaLY  RSA  PS256  sig",
        "<td>NXpKbE8_qoWMJVJeBHQ6BZLbrOdsPZzTj-hLC5IGaLY</td>\n      <td>RSA</td>",
    ]
    for text in shown:
        assert "THUMBPRINT" in sanitized(text) and not re.search(
            r"[A-Za-z0-9_-]{43}", sanitized(text)
        )
