"""Layer 3, auth: environments, credentials, and the OAuth 2.0 / FAPI client."""

from ._credentials import Credentials, load_signing_key
from ._environment import AUTH_METHODS, GRANTS, Environment, Family

__all__ = ["AUTH_METHODS", "GRANTS", "Credentials", "Environment", "Family", "load_signing_key"]
