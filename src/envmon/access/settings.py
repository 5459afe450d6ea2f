"""`AccessSettings`: the [access] table of the configuration, each default with its reason."""

from __future__ import annotations

from dataclasses import dataclass

from envmon.errors import OptionError

__all__ = ["AccessSettings"]


@dataclass(frozen=True)
class AccessSettings:
    """Lifetimes, lockout and password rules of users ([access] of the configuration)."""

    min_password_length: int = 10
    """Shortest password accepted. NIST SP 800-63B §5.1.1.2 asks at least 8 for a chosen
    password; 10 because these accounts change figures a bureau publishes."""
    session_idle_s: int = 30 * 60
    """A page session not used for this long ends (GB/T 22239-2019 8.1.4.1 asks a login
    timeout; 30 minutes is the usual figure of a 等保 assessment)."""
    session_max_s: int = 12 * 3600
    """A page session ends this long after login whatever its use: a day shift and more."""
    token_days: int = 30
    """An API token's lifetime unless asked shorter: a month of a script's work, then a new
    one (a leaked token stops working by itself)."""
    lockout_failures: int = 5
    """Failed logins of one user name within `lockout_window_s` that lock it (the usual 等保
    figure: five tries)."""
    address_failures: int = 20
    """Failed logins from one address within the window that lock the address (several users
    behind one office address may mistype; a guesser trying many names is stopped)."""
    lockout_window_s: int = 15 * 60
    """The window the failures are counted in, and how long a lockout lasts."""
    secure_cookies: bool = False
    """Mark the session cookie Secure even when the request arrives over http (set it behind
    an https reverse proxy; a request that arrives over https gets it anyway)."""

    def __post_init__(self) -> None:
        for name in ("min_password_length", "session_idle_s", "session_max_s", "token_days",
                     "lockout_failures", "address_failures", "lockout_window_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"[access] {name}", f"must be a whole number of 1 or more, "
                                                      f"not {value!r}")
        if self.min_password_length < 8:
            raise OptionError("[access] min_password_length", "must be 8 or more "
                              "(NIST SP 800-63B)")
        if not isinstance(self.secure_cookies, bool):
            raise OptionError("[access] secure_cookies", "must be true or false")
