"""The rich HTML view of an `Identity` (facts, validity badge, findings; never key bytes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._html import badge, card, esc, facts_table
from ._findings import Severity

if TYPE_CHECKING:
    from ._identity import Identity


def validity_badge(identity: Identity) -> str:
    """Green when usable, amber when a warning is worst, red on any error."""
    worst = identity.findings[0]
    if worst.severity is Severity.ERROR:
        return badge(worst.code.replace("_", " "), "error")
    if worst.severity is Severity.WARNING:
        return badge(f"valid, {identity.days_to_expiry} days left", "warning")
    return badge(f"valid, {identity.days_to_expiry} days left", "info")


def identity_html(identity: Identity) -> str:
    """Facts table and findings list for `Identity._repr_html_`."""
    facts = facts_table(
        [
            ("Subject", identity.subject),
            ("Issuer", identity.issuer),
            ("Serial", identity.serial_number),
            ("Valid", f"{identity.not_before:%Y-%m-%d} to {identity.not_after:%Y-%m-%d}"),
            ("SANs", ", ".join(identity.subject_alt_names) or "none"),
            ("Key", identity.key_description + ("" if identity.has_key else " (not loaded)")),
            ("SHA-256", identity.fingerprint_sha256),
            ("x5t#S256", identity.x5t_s256),
        ]
    )
    items = "".join(
        f"<li>{badge(str(f.severity), str(f.severity))} {esc(f.message)}</li>"
        for f in identity.findings
    )
    worst = str(identity.findings[0].severity)
    return card(
        "Client identity ", validity_badge(identity) + facts + f"<ul>{items}</ul>", level=worst
    )
