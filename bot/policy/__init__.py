"""Policy: packs of rules (data) applied by a closed set of rule kinds (code)."""

from bot.policy.loader import Policy, Section, clear_cache, default_policy_dir, load_policy

__all__ = ["Policy", "Section", "clear_cache", "default_policy_dir", "load_policy"]
