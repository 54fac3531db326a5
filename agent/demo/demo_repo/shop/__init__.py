"""A tiny shop: carts, prices and discount codes."""
