"""The endpoint catalogue, fetch_endpoint, and the response explorer over the sandbox."""

from __future__ import annotations

import base64
import re

import pytest

from bradesco_explore.apis import catalogue
from bradesco_explore.auth import Client
from bradesco_explore.errors import ConfigurationError
from bradesco_explore.tables import KINDS, mask_json
from bradesco_explore.widgets import Dashboard, fetch_endpoint
from bradesco_explore.workspace import Workspace

from ._leaks import Forbidden, assert_clean


def _csv(board: Dashboard) -> str:
    match = re.search(r"base64,([A-Za-z0-9+/=]+)", board.explorer.csv.value)
    assert match is not None
    return base64.b64decode(match.group(1)).decode()


def _choose(board: Dashboard, family: str, key: str) -> None:
    board.explorer.family.value = family
    board.explorer.endpoint.value = key


def _authorize(board: Dashboard) -> None:
    board.flows.family.value = "openfinance"
    board.flows.scopes.value = ("openid", "accounts")
    board.flows.run()
    board.flows.auto_consent()
    assert board.flows.message.value == ""


# -- the catalogue ----------------------------------------------------------------------------------
def test_catalogue_entries_name_known_families_and_kinds(workspace: Workspace) -> None:
    for endpoint in catalogue.ENDPOINTS:
        assert endpoint.family in workspace.environment.families
        assert endpoint.kind in KINDS
        assert catalogue.endpoint(endpoint.key) is endpoint
    assert catalogue.endpoints_for("legacy") == ()
    with pytest.raises(ConfigurationError, match="Unknown endpoint"):
        catalogue.endpoint("nope")


def test_catalogue_converts_form_text_to_requests() -> None:
    charges = catalogue.endpoint("pix.charges")
    values = {"start": "2024-07-01", "end": "2025-06-30", "status": ""}
    assert charges.query(values) == {
        "inicio": "2024-07-01T00:00:00Z",
        "fim": "2025-06-30T23:59:59Z",
    }
    with pytest.raises(ConfigurationError, match="From \\(created\\) must be a date"):
        charges.query(values | {"start": "01/07/2024"})
    with pytest.raises(ConfigurationError, match="give To"):
        charges.query(values | {"end": ""})
    transactions = catalogue.endpoint("openfinance.transactions")
    assert transactions.target({"account_id": "a/b c"}).endswith("/accounts/a%2Fb%20c/transactions")
    with pytest.raises(ConfigurationError, match="Page size must be a whole number"):
        transactions.query({"page_size": "ten"})
    assert charges.defaults({"start": "2024-01-01"})["start"] == "2024-01-01"


def test_the_raw_json_masks_documents_as_the_table_does() -> None:
    body = {"devedor": {"cpf": "12345678909", "nome": "Maria"}, "chave": "x@example.com",
            "data": [{"document": {"identification": "12345678909"}}],
            "deep": {"cpfNumber": 12345678909}, "pix": [{"chave": "68542653101838"}],
            "infoPagador": "PIX DE 123.456.789-09 PARA 12.345.678/0001-95"}  # fmt: skip
    masked = mask_json(body)
    assert masked["devedor"] == {"cpf": "***.456.789-**", "nome": "Maria"}
    assert masked["data"][0]["document"]["identification"] == "***.456.789-**"
    assert masked["chave"] == "x@example.com"
    assert masked["deep"]["cpfNumber"] == "***.456.789-**"  # a number is masked too
    assert masked["pix"][0]["chave"] == "**.542.653/1018-**"  # a CNPJ-shaped Pix key
    assert masked["infoPagador"] == "PIX DE ***.456.789-** PARA **.345.678/0001-**"


def test_fetch_endpoint_walks_every_page(workspace: Workspace) -> None:
    pages_seen: list[tuple[int, int | None]] = []
    with Client(workspace.environment, "portal", identity=workspace.identity,
                credentials=workspace.credentials) as client:  # fmt: skip
        endpoint = catalogue.endpoint("portal.statement")
        values = {"branch": "3861", "account": "41000", "start": "2025-04-01", "end": "2025-06-30"}
        fetched = fetch_endpoint(
            client, endpoint, values, on_page=lambda n, t: pages_seen.append((n, t))
        )
    assert pages_seen == [(1, 4), (2, 4), (3, 4), (4, 4)]  # 30-day windows
    assert len(fetched.pages) == 4 and len(fetched.exchanges) >= 4
    assert fetched.values["type"] == "cc"
    assert len(fetched.table) > 0


# -- the view -----------------------------------------------------------------------------------------
def test_pix_received_table_csv_raw_json_and_log(
    dashboard: Dashboard, workspace: Workspace, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    explorer = dashboard.explorer
    _choose(dashboard, "pix", "pix.received")
    assert explorer.parameter_values()["start"] == "2024-07-01"  # the sandbox's data period
    explorer.fetch_button.click()
    assert explorer.message.value == ""
    assert explorer.fetched is not None
    rows = len(explorer.fetched.table)
    assert (
        rows > 0
        and f'<td style="text-align:left;font-family:monospace">{rows:,}</td>'
        in explorer.table.value
    )
    assert explorer.table.value.count("<tr>") >= rows  # every row is shown (fewer than 20)
    csv = _csv(dashboard)
    assert csv.count("\n") == rows + 1 and "pagador.cpf" in csv
    assert re.search(r"\*\*\*\.\d{3}\.\d{3}-\*\*", csv)  # CPF masked
    assert not re.search(r"\b\d{11}\b", csv)
    assert "Raw JSON" in explorer.raw.value and "***." in explorer.raw.value
    assert not re.search(r"&quot;\d{11}&quot;", explorer.raw.value)
    keys = {str(p["chave"]) for page in explorer.fetched.pages for p in page.json()["pix"]}
    document_keys = [k for k in keys if re.fullmatch(r"\d{11}|\d{14}", k)]
    assert document_keys and not any(k in explorer.raw.value for k in document_keys)
    assert (
        "/v2/pix" in explorer.exchanges.value
        and "x-fapi-interaction-id" in explorer.exchanges.value
    )
    assert explorer.progress.value == 1 and explorer.progress_label.value == "page 1 of 1"
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_open_finance_transactions_need_the_authorization_then_show_every_page(
    dashboard: Dashboard, workspace: Workspace, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    explorer = dashboard.explorer
    _choose(dashboard, "openfinance", "openfinance.transactions")
    assert explorer.parameter_values() == {
        "account_id": "",
        "start": "",
        "end": "",
        "page_size": "500",
    }
    if dashboard.state.current_client("openfinance").cache.keys():
        pytest.fail("a user token is already cached; this test needs a fresh client")
    explorer.fetch()
    assert "Fetching Account transactions failed" in explorer.message.value
    assert "No user token yet" in explorer.message.value

    _authorize(dashboard)
    explorer.parameters.children[-1].value = "100"  # page size
    explorer.fetch()
    assert explorer.message.value == ""
    assert explorer.fetched is not None
    assert explorer.fetched.values["account_id"]  # blank -> the first account
    assert len(explorer.fetched.pages) == explorer.progress.value > 1
    assert "Open Finance account transactions" in explorer.table.value
    assert f"{len(explorer.fetched.table):,}" in explorer.table.value
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_bad_parameters_and_families_without_endpoints(dashboard: Dashboard) -> None:
    explorer = dashboard.explorer
    _choose(dashboard, "portal", "portal.statement")
    explorer.parameters.children[-1].value = "30/06/2025"
    explorer.fetch()
    assert "To must be a date as YYYY-MM-DD" in explorer.message.value
    explorer.family.value = "legacy"
    assert explorer.endpoint.options == () and explorer.parameters.children == ()
    explorer.fetch()
    assert "no listing endpoints" in explorer.message.value
