"""Custom transform for the sales example: adds margin figures to each record."""


def add_margin(record: dict, currency: str = "EUR", **_: object) -> dict:
    """Return the record with ``margin`` and ``margin_pct``; fails when revenue is missing."""
    revenue = record["revenue"]
    if revenue is None:
        raise ValueError(f"revenue is missing for {record['rep']} in {record['month']}")
    margin = round(revenue - record["cost"], 2)
    return {**record, "margin": margin, "margin_pct": round(100 * margin / revenue, 1),
            "currency": currency}
