"""Layer 7, sandbox: a local Bradesco over real HTTPS and mutual TLS, with synthetic data.

>>> from bradesco_explore.sandbox import Sandbox
>>> with Sandbox(seed=7) as sb:                                      # doctest: +SKIP
...     env, identity, credentials = sb.environment, sb.identity, sb.credentials

Families, one module each, sharing a small core (`_server` TLS server and router,
`_tokens` token store, `_refusal` error envelopes, `_dataset` deterministic data):
`_portal` (Gen2 cobranca, saldo/extrato), `_legacy` (Gen1 JWT-bearer and X-Brad signatures),
`_pix` (Bacen API Pix v2) and `openfinance` (FAPI-BR authorization server, consents, accounts,
credit cards, resources). Each module's docstring lists its endpoints and the Bradesco quirks
it reproduces.
"""

from ._documents import Beneficiary, Customer
from ._sandbox import Sandbox
from ._server import Faults
from ._state import SandboxStats

__all__ = ["Beneficiary", "Customer", "Faults", "Sandbox", "SandboxStats"]
