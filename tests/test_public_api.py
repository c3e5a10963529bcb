"""The public surface of ``bot`` is pinned: changing it is a deliberate act."""

import bot


def test_public_api() -> None:
    assert sorted(bot.__all__) == sorted(
        [
            "CATEGORIES", "CHANNELS", "CanipostError", "Config", "ConfigError", "Draft", "Finding",
            "InputError", "PolicyError", "Severity", "Verdict", "WorkflowError", "__version__",
            "load_config", "review",
        ]
    )  # fmt: skip
    for name in bot.__all__:
        assert getattr(bot, name) is not None
