"""Layer 4, APIs: thin helpers per family that build the documented requests.

Each function takes a `Client` built for its family and returns the `Response`: nothing is
hidden, so a learner can always look at the HTTP exchange (`client.log`). Modules:

- `boletos`       Cobranca / boleto hibrido (portal) and the legacy Open API registration
- `pix`           Bacen API Pix v2 on Bradesco: cob, cobv, cob-emv, loc, received Pix, webhooks
- `saldo_extrato` corporate balance and statement (Saldo e Extrato PJ)
- `openfinance`   Open Finance Brasil: consents, accounts, credit cards, resources
- `catalogue`     the listing endpoints as data (what the response explorer offers)
"""

from . import boletos, catalogue, openfinance, pix, saldo_extrato

__all__ = ["boletos", "catalogue", "openfinance", "pix", "saldo_extrato"]
