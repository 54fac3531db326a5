"""Prices and discount codes."""

CODES = {"WELCOME10": 10, "HALF": 50}


def discount_percent(code: str | None) -> int:
    """The percentage a discount code takes off (0 for none or unknown)."""
    if not code:
        return 0
    return CODES.get(code.strip().upper(), 0)


def round_cents(amount: float) -> float:
    """Round to whole cents."""
    return round(amount + 1e-9, 2)
