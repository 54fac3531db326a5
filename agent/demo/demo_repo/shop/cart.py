"""A shopping cart."""
from dataclasses import dataclass, field

from shop.pricing import discount_percent, round_cents


@dataclass
class Item:
    """One line of a cart."""

    name: str
    price: float
    quantity: int = 1


@dataclass
class Cart:
    """Items and an optional discount code."""

    items: list[Item] = field(default_factory=list)
    code: str | None = None

    def add(self, name: str, price: float, quantity: int = 1) -> None:
        """Add an item (quantities of the same item accumulate)."""
        for item in self.items:
            if item.name == name:
                item.quantity += quantity
                return
        self.items.append(Item(name, price, quantity))

    def subtotal(self) -> float:
        """Sum of price times quantity."""
        return round_cents(sum(i.price * i.quantity for i in self.items))

    def total(self) -> float:
        """Subtotal minus the discount."""
        subtotal = self.subtotal()
        percent = discount_percent(self.code)
        return round_cents(subtotal - percent)
