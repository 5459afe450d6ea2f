"""`[portal]` of the configuration file: the enterprise portal's (环保码) public address, the
placard's issuer, and the public card's bounds.

    [portal]
    public_base_url = ""         # e.g. "https://hbm.example.gov.cn"; "" = the serve's address
    bureau_name = "生态环境局"     # printed on the placard
    card_cache_s = 60            # a card is recomputed at most this often
    card_requests_per_minute = 30  # per client address, on /card/…
    max_answer_files = 5         # attachments of one alarm answer
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalSettings:
    public_base_url: str = ""
    """The address the QR codes point at (the card is ``{public_base_url}/card/{code}``). Empty:
    the running serve's web address (`[web] host`/`port`), right for a platform reached on its
    own address; a bureau behind a reverse proxy or a public domain sets it."""
    bureau_name: str = "生态环境局"
    """The issuing bureau's name on the placard (its real name is configuration)."""
    card_cache_s: float = 60.0
    """The card shows today's states and the month's rates: a minute's staleness is invisible
    to a passer-by scanning the placard, and one assessment a minute per unit bounds the work a
    flood of scans can cause."""
    card_requests_per_minute: int = 30
    """Per client address on /card/…: a person scans a few cards; more is a crawler trying
    codes (the codes are 96-bit random, so guessing is hopeless anyway: this bounds load)."""
    max_answer_files: int = 5
    """Attachments of one alarm answer (each bounded by [marks] max_proof_bytes)."""

    def __post_init__(self) -> None:
        from envmon.errors import OptionError

        url = self.public_base_url
        if url and not url.startswith(("http://", "https://")):
            raise OptionError("[portal] public_base_url", "an http:// or https:// address")
        if not self.card_cache_s >= 0:
            raise OptionError("[portal] card_cache_s", "zero or more seconds")
        if self.card_requests_per_minute < 1:
            raise OptionError("[portal] card_requests_per_minute", "at least 1")
        if not 1 <= self.max_answer_files <= 20:
            raise OptionError("[portal] max_answer_files", "1 to 20")


def portal_settings_of(config) -> PortalSettings:
    return getattr(config, "portal", None) or PortalSettings()
