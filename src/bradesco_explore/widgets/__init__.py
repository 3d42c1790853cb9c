"""Layer 6, widgets: ipywidgets forms over the other layers, shown with `explore()`.

Thin views; the behaviour lives in plain Python that tests call directly:

- `CertificateForm` over `load_certificate` / `certificate_report`: upload or path, password,
  validity badge, fingerprints, findings;
- `FlowRunner` over `Flow`: every grant step by step (discovery, consent, PAR, redirect, code
  exchange, validation), a paste box for the redirect URL, a redacted token card;
- `ResponseExplorer` over `fetch_endpoint` and `apis.catalogue`: pages, table, raw JSON,
  exchange log, CSV download;
- `Dashboard` puts the three in tabs over one `ExplorerState`.

No secret is ever a widget trait: uploaded bytes and passwords are cleared as soon as they
are read, tokens are shown redacted, and a pending authorization stays in Python memory.

>>> import bradesco_explore as bx
>>> bx.explore(target="local")        # doctest: +SKIP
"""

from ._certificate import CertificateSource, UploadedFile, certificate_report, load_certificate
from ._certificate_form import CertificateForm
from ._dashboard import Dashboard, explore
from ._fetch import Fetched, fetch_endpoint
from ._flow import Flow, FlowOptions, Step, check_token, steps_html
from ._flow_runner import FlowRunner
from ._response_explorer import ResponseExplorer
from ._state import ExplorerState

__all__ = [
    "CertificateForm",
    "CertificateSource",
    "Dashboard",
    "ExplorerState",
    "Fetched",
    "Flow",
    "FlowOptions",
    "FlowRunner",
    "ResponseExplorer",
    "Step",
    "UploadedFile",
    "certificate_report",
    "check_token",
    "explore",
    "fetch_endpoint",
    "load_certificate",
    "steps_html",
]
