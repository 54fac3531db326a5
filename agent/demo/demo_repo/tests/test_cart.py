import unittest

from shop.cart import Cart


class CartTest(unittest.TestCase):
    def test_subtotal(self):
        cart = Cart()
        cart.add("pen", 1.50, 2)
        cart.add("pen", 1.50)
        self.assertEqual(cart.subtotal(), 4.50)

    def test_total_without_code(self):
        cart = Cart()
        cart.add("book", 20.00)
        self.assertEqual(cart.total(), 20.00)

    def test_total_with_discount(self):
        cart = Cart(code="welcome10")
        cart.add("book", 20.00)
        cart.add("pen", 5.00)
        self.assertEqual(cart.total(), 22.50)


if __name__ == "__main__":
    unittest.main()
