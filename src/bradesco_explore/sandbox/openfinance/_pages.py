"""The HTML a browser sees: the consent page, the callback page and error pages.

Every value is escaped. The callback page shows the full URL, fragment included (only
JavaScript can read a fragment), so a learner can copy it into the notebook.
"""

from __future__ import annotations

from ..._html import esc
from .._documents import Customer
from ._consents import Consent
from ._provider import AuthorizationRequest

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:42em;margin:2em auto;padding:0 1em}"
          "code,textarea{font-family:monospace}button{font-size:1.1em;margin:.3em;padding:.4em 1.2em}"
          "textarea{width:100%;height:9em}")  # fmt: skip


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{esc(title)}</h1>{body}</body></html>")  # fmt: skip


def consent_page(request: AuthorizationRequest, consent: Consent | None, customer: Customer,
                 interaction: str, action: str) -> str:  # fmt: skip
    """Approve/Deny page for the fixed test customer."""
    permissions = "".join(
        f"<li><code>{esc(p)}</code></li>" for p in (consent.permissions if consent else [])
    )
    what = (f"<p>Consent <code>{esc(consent.consent_id)}</code> asks for:</p><ul>{permissions}</ul>"
            if consent else "<p>Sign-in only (no consent scope was requested).</p>")  # fmt: skip
    body = (
        f"<p>Signed in as <b>{esc(customer.name)}</b> (CPF {esc(customer.cpf[:3])}.***.***-{esc(customer.cpf[-2:])}), "
        f"the sandbox's test customer.</p><p>Client <code>{esc(request.client_id)}</code> wants access. "
        f"Scopes: <code>{esc(' '.join(request.scopes))}</code></p>{what}"
        f'<form method="post" action="{esc(action)}"><input type="hidden" name="interaction" value="{esc(interaction)}">'
        '<button name="decision" value="approve" id="approve">Approve</button>'
        '<button name="decision" value="deny" id="deny">Deny</button></form>'
    )
    return _page("Bradesco sandbox: authorise access", body)


def callback_page() -> str:
    """Shows the URL it was reached at, fragment included, ready to copy."""
    body = ("<p>The authorization server sent you back here. Copy this whole URL into the notebook "
            "(<code>client.finish(pending, url)</code>):</p><textarea id=\"url\" readonly></textarea>"
            "<script>document.getElementById('url').value = window.location.href;</script>"
            "<noscript><p>Enable JavaScript, or copy the URL from the address bar.</p></noscript>")  # fmt: skip
    return _page("Bradesco sandbox: authorization response", body)


def error_page(error: str, description: str) -> str:
    """An authorization error that cannot be sent back to the client."""
    return _page("Bradesco sandbox: authorization refused",
                 f"<p><b>{esc(error)}</b></p><p>{esc(description)}</p>")  # fmt: skip
