"""Keeping secrets out of messages, logs and MLflow: masking credentials in URIs."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@]*)(:[^@/]*)?@", re.I)
_PASSWORD_KV = re.compile(r"(password\s*=\s*)(\S+)", re.I)


def mask_uri(uri: str) -> str:
    """``postgresql://app:s3cret@db/x`` -> ``postgresql://app:***@db/x`` (also ``password=``)."""
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}{':***' if m[3] else ''}@", uri)
    return _PASSWORD_KV.sub(r"\1***", masked)
