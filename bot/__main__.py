"""``python -m bot`` runs the same CLI as ``canipost``."""

from bot.cli.main import main

raise SystemExit(main())
