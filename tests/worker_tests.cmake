# Worker tests.
