"""The ``canipost`` command line: one module per noun, each with ``register(subparsers)``."""
