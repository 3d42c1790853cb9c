"""Layer 1, identity: client certificates and their private keys.

Load (`Identity.load`), validate (`Identity.findings`), generate (`make_csr`) and, for the
sandbox and tests, issue (`CertificateAuthority`). Key material stays in memory; files written
here are 0600.
"""

from ._ca import CertificateAuthority, self_signed_identity
from ._csr import (
    KeyPEM,
    OpenFinanceSubject,
    generate_key,
    key_to_pem,
    make_csr,
    save_private_key,
    save_public,
)
from ._findings import Finding, Severity
from ._identity import Identity, certificate_thumbprint

__all__ = [
    "CertificateAuthority",
    "Finding",
    "Identity",
    "KeyPEM",
    "OpenFinanceSubject",
    "Severity",
    "certificate_thumbprint",
    "generate_key",
    "key_to_pem",
    "make_csr",
    "save_private_key",
    "save_public",
    "self_signed_identity",
]
