"""Load and validate policy packs, vocabularies and profiles.

Layout (see README "Writing rules")::

    policy/protocol.md                 the protocol; sections carry <!-- anchor: x -->
    policy/packs/<pack>/<rule>.yaml    one rule per file; its id is <pack>.<rule>
    policy/vocab/<name>.txt            word lists rules refer to with `vocab: name`
    policy/profiles/<profile>.yaml     which packs apply, severity overrides

Validation is strict and early: an unknown key or kind, a bad regex, a
category outside the closed set, a ``policy_ref`` that is not a protocol
anchor, or a rule without examples is a :class:`PolicyError` naming the file
and line. Policy is data a comms officer edits; a silent typo is a bug.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ahocorasick

from bot import detectors
from bot.config import PROFILES, Config
from bot.errors import PolicyError
from bot.policy import (
    cache,  # its code stamp is taken now, with the classes it pickles
    needs,
    programs,
)
from bot.policy.kinds import KINDS
from bot.policy.model import LONG_TEXT, CharGate, Context, Matcher, Rule, build_matcher
from bot.resources import data_dir
from bot.verdict import CATEGORIES, CHANNELS, RULE_SEVERITIES, Severity

if TYPE_CHECKING:
    from bot.yamlutil import KeyLines

COMMON_FIELDS = (
    "id",
    "kind",
    "category",
    "severity",
    "message",
    "suggestion",
    "policy_ref",
    "description",
    "channels",
    "examples",
    "exceptions",
    "skip_if",
    "max_hits",
)
REQUIRED_FIELDS = (
    "kind",
    "category",
    "severity",
    "message",
    "suggestion",
    "policy_ref",
    "examples",
)
PROFILE_FIELDS = ("description", "packs", "overrides")
_second = itemgetter(1)
_ANCHOR = re.compile(r"<!--\s*anchor:\s*([a-z0-9-]+)\s*-->")
_KEYWORDS = re.compile(r"^\s*<!--\s*keywords:\s*(.*?)\s*-->\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")


def default_policy_dir() -> Path:
    """``CANIPOST_POLICY_DIR``, else the ``policy/`` folder (checkout or wheel)."""
    return data_dir("policy", "CANIPOST_POLICY_DIR")


@dataclass(slots=True)
class Section:
    """A protocol section: what findings cite and answers quote."""

    anchor: str
    heading: str
    level: int
    text: str
    #: Search words from ``<!-- keywords: ... -->``: how staff ask about this section
    #: ("nicked", "purdah"), indexed by ``canipost ask`` but never quoted.
    keywords: tuple[str, ...] = ()


@dataclass(slots=True)
class Policy:
    """The loaded policy for one profile and organisation."""

    rules: list[Rule]
    version: str
    profile: str
    directory: Path
    sections: dict[str, Section] = field(default_factory=dict)
    vocab: dict[str, list[str]] = field(default_factory=dict)
    _by_word: dict[str, list[int]] = field(default_factory=dict)
    _by_substring: dict[str, list[int]] = field(default_factory=dict)
    _always: list[int] = field(default_factory=list)
    _by_detector: list[tuple[int, str]] = field(default_factory=list)
    _word_keys: frozenset[str] = frozenset()
    _sub_keys: frozenset[str] = frozenset()
    _det_gates: list[tuple[int, int, frozenset[str] | None, str]] = field(default_factory=list)
    _char_gates: list[tuple[int, CharGate]] = field(default_factory=list)
    #: Rules reached from their needed strings (``Rule.needs_gate``), which are indexed in
    #: ``_by_substring``; every one of them runs on a draft whose cases do not compare.
    _need_gated: list[int] = field(default_factory=list)
    _automaton: Any = None
    _sub_token: object = None
    #: Every group anchor of every matcher, for long texts (built on the first one).
    _anchor_automaton: Any = None

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Index rules by their gate's anchor words (see :meth:`candidates`)."""
        self._by_word, self._by_substring, self._always, self._by_detector = {}, {}, [], []
        self._char_gates, self._need_gated = [], []
        for i, rule in enumerate(self.rules):
            gate = rule.gate()
            char_gate = rule.char_gate()  # style rules: no anchor words, a character test
            if char_gate is not None and gate is None:
                self._char_gates.append((i, char_gate))
                continue
            if gate is None or gate.anchors is None:
                detector = gate.detector if gate is not None else None
                cues = rule.needs_gate() if detector is None else None
                if detector is not None:
                    self._by_detector.append((i, detector))
                elif cues:
                    for sub in cues:
                        self._by_substring.setdefault(sub, []).append(i)
                    self._need_gated.append(i)
                else:
                    self._always.append(i)
                continue
            for word in gate.anchors:
                self._by_word.setdefault(word, []).append(i)
            for sub in gate.substring_list:
                self._by_substring.setdefault(sub, []).append(i)
        self._word_keys = frozenset(self._by_word)
        self._sub_keys = frozenset(k for k, v in self._by_substring.items() if v)
        # One Aho-Corasick automaton over every substring any matcher tests: a draft is
        # scanned once, in C, instead of once per substring per matcher.
        token = object()
        subs: set[str] = set()
        for rule in self.rules:
            for matcher in rule.matchers():
                subs |= matcher.all_substrings()
                matcher.sub_token = token
        automaton = ahocorasick.Automaton()
        for sub in subs:
            automaton.add_word(sub, sub)
        if subs:
            automaton.make_automaton()
        self._automaton, self._sub_token = (automaton if subs else None), token
        # Detector preconditions inlined (see bot.detectors.register): no call per rule.
        # Fewest digits first: a draft with fewer digits than one gate asks for stops there.
        self._det_gates = []
        for i, name in self._by_detector:
            spec = detectors.get(name)
            self._det_gates.append((i, spec.min_digits, spec.words, spec.chars))
        self._det_gates.sort(key=lambda gate: gate[1])

    def compile_all(self) -> None:
        """Compile every rule's regexes now (lint, and servers before taking traffic)."""
        for rule in self.rules:
            for matcher in rule.matchers():
                matcher.compile()
        programs.flush()  # later processes start with every program compiled

    def candidates(self, ctx: Context) -> list[Rule]:
        """The rules that can possibly fire on this draft, in policy order."""
        picked = set(self._always)
        for i, char_gate in self._char_gates:
            if char_gate.admits(ctx):
                picked.add(i)
        if self._det_gates:
            digits = ctx.digits
            words = ctx.words
            text = ctx.text
            for i, min_digits, need_words, chars in self._det_gates:
                if digits < min_digits:
                    break  # the gates ask for ever more digits (see reindex)
                if chars and not all(c in text for c in chars):
                    continue
                if need_words is None or not need_words.isdisjoint(words):
                    picked.add(i)
        by_word = self._by_word
        # Set intersection in C first: a draft has ~30 words, few of them anchors.
        for w in ctx.words & self._word_keys:
            picked.update(by_word[w])
        if len(ctx.text) > LONG_TEXT and len(ctx.lower) == len(ctx.text):
            ctx.positions = self._anchor_positions(ctx.lower)
        if self._automaton is not None:
            ctx.subs = subs = frozenset(map(_second, self._automaton.iter(ctx.lower)))
            ctx.sub_token = self._sub_token
            by_sub = self._by_substring
            # Most substrings found gate no rule (matchers test them): intersect in C first.
            for sub in subs.intersection(self._sub_keys):
                picked.update(by_sub[sub])
        if self._need_gated and (self._automaton is None or not ctx.comparable):
            picked.update(self._need_gated)
        rules = [self.rules[i] for i in sorted(picked)]
        if ctx.positions is not None:
            # A long post reaches a thousand or more small programs: read the kept ones
            # in a few queries rather than one query each.
            wanted: list[tuple[str, int]] = []
            for rule in rules:
                for matcher in rule.matchers():
                    matcher.wanted_programs(ctx, wanted)
            programs.prefetch(wanted)
        return rules

    def _anchor_positions(self, lower: str) -> dict[str, list[int]]:
        """Where each group anchor, and each string a branch's matches start with
        (``Matcher.branch_starts``), occurs in a long text: one automaton pass for all."""
        if self._anchor_automaton is None:
            keys: set[str] = set()
            for rule in self.rules:
                for matcher in rule.matchers():
                    keys.update(matcher.word_groups or ())
                    keys.update(matcher.sub_groups or ())
                    for starts in matcher.branch_starts or ():
                        keys.update(starts or ())
            automaton = ahocorasick.Automaton()
            for key in keys:
                automaton.add_word(key, (len(key) - 1, key))
            if keys:
                automaton.make_automaton()
            self._anchor_automaton = automaton if keys else False
        if not self._anchor_automaton:
            return {}
        positions: dict[str, list[int]] = {}
        for end, (back, key) in self._anchor_automaton.iter(lower):
            found = positions.get(key)
            if found is None:
                positions[key] = [end - back]
            else:
                found.append(end - back)
        return positions

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def parse_protocol(path: Path) -> dict[str, Section]:
    """Split protocol.md into sections keyed by their stable anchor."""
    if not path.is_file():
        return {}
    sections: dict[str, Section] = {}
    heading: tuple[int, str] | None = None
    anchor: str | None = None
    body: list[str] = []
    keywords: list[str] = []

    def flush() -> None:
        if heading is not None:
            a = anchor or _slug(heading[1])
            text = "\n".join(body).strip()
            sections[a] = Section(a, heading[1], heading[0], text, tuple(keywords))

    for line in path.read_text(encoding="utf-8").splitlines():
        m = _HEADING.match(line)
        if m and len(m.group(1)) >= 2:
            flush()
            heading, anchor, body, keywords = (len(m.group(1)), m.group(2)), None, [], []
            continue
        k = _KEYWORDS.match(line)
        if k and heading is not None:
            keywords.extend(w.strip() for w in k.group(1).split(",") if w.strip())
            continue
        a = _ANCHOR.search(line)
        if a and heading is not None and anchor is None and not "".join(body).strip():
            anchor = a.group(1)
            continue
        body.append(line)
    flush()
    return sections


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _read_vocab(directory: Path, config: Config) -> dict[str, list[str]]:
    vocab: dict[str, list[str]] = {}
    vdir = directory / "vocab"
    if vdir.is_dir():
        for f in sorted(vdir.glob("*.txt")):
            words = []
            for line in f.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
                if line:
                    words.append(line)
            vocab[f.stem] = words
    org = config.organisation
    vocab["org_places"] = [p for p in [org.head_office, *org.places] if p] or ["head office"]
    vocab["org_name"] = (
        [org.name] if org.name and org.name != "Our organisation" else ["our organisation"]
    )
    return vocab


def _iter_rule_files(directory: Path, packs: list[str]) -> Iterator[tuple[str, Path]]:
    for pack in packs:
        pdir = directory / "packs" / pack
        if not pdir.is_dir():
            raise PolicyError(f"{directory / 'packs'}: no pack named {pack!r}")
        for f in sorted(pdir.glob("*.y*ml")):
            yield pack, f


def _load_profile(directory: Path, profile: str) -> tuple[list[str], dict[str, str], str]:
    import yaml  # parsing happens only when the compiled-policy cache misses

    from bot.yamlutil import line_of, load_yaml_with_lines

    path = directory / "profiles" / f"{profile}.yaml"
    if not path.is_file():
        raise PolicyError(
            f"unknown profile {profile!r}: {path} not found; allowed: {', '.join(PROFILES)}"
        )
    try:
        data, lines = load_yaml_with_lines(path)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: a profile is a mapping with 'packs' and 'overrides'")
    for key in data:
        if key not in PROFILE_FIELDS:
            raise PolicyError(
                f"{path}:{line_of(lines, data, key)}: unknown key {key!r}; allowed: {', '.join(PROFILE_FIELDS)}"
            )
    packs = data.get("packs")
    if not isinstance(packs, list) or not packs:
        raise PolicyError(f"{path}: 'packs' must list at least one pack")
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise PolicyError(
            f"{path}:{line_of(lines, data, 'overrides')}: 'overrides' must be a mapping"
        )
    return [str(p) for p in packs], _override_map(overrides), str(path)


def _override_map(overrides: dict[Any, Any]) -> dict[str, str]:
    """YAML reads a bare ``off`` as False; accept it as the word people meant."""
    return {str(k): "off" if v is False else str(v) for k, v in overrides.items()}


def _example_list(value: Any, where: str) -> list[tuple[str, str]]:
    out = []
    for item in value or []:
        if isinstance(item, str):
            out.append((item, "any"))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append((item["text"], str(item.get("channel", "any"))))
        else:
            raise PolicyError(f"{where}: each example is a string or {{text, channel}}")
    return out


def build_rule(
    pack: str,
    path: Path,
    data: Any,
    lines: KeyLines,
    vocab: dict[str, list[str]],
    anchors: set[str],
) -> Rule:
    """Validate one rule file's data and build its rule object."""

    from bot.yamlutil import line_of

    def where(key: str) -> str:
        ln = line_of(lines, data, key)
        return f"{path}:{ln}" if ln else str(path)

    if not isinstance(data, dict):
        raise PolicyError(f"{path}: a rule file is a mapping of fields")
    rule_id = f"{pack}.{path.stem}"
    if "id" in data and data["id"] != rule_id:
        raise PolicyError(f"{where('id')}: id must be {rule_id!r} (pack.file name)")
    for key in REQUIRED_FIELDS:
        if key not in data or data[key] in (None, ""):
            raise PolicyError(f"{path}: missing required field {key!r}")
    kind = data["kind"]
    if kind not in KINDS:
        raise PolicyError(
            f"{where('kind')}: unknown kind {kind!r}; allowed: {', '.join(sorted(KINDS))}"
        )
    cls = KINDS[kind]
    allowed = set(COMMON_FIELDS) | set(cls.FIELDS)
    for key in data:
        if key not in allowed:
            raise PolicyError(
                f"{where(key)}: unknown key {key!r} for kind {kind!r}; allowed: {', '.join(sorted(allowed))}"
            )
    category = data["category"]
    if category not in CATEGORIES:
        raise PolicyError(
            f"{where('category')}: unknown category {category!r}; allowed: {', '.join(CATEGORIES)}"
        )
    if data["severity"] not in RULE_SEVERITIES:
        raise PolicyError(
            f"{where('severity')}: unknown severity {data['severity']!r}; allowed: {', '.join(RULE_SEVERITIES)}"
        )
    ref = str(data["policy_ref"])
    anchor = ref.split("#", 1)[1] if ref.startswith("protocol#") else None
    if anchor is None:
        raise PolicyError(f"{where('policy_ref')}: policy_ref must look like 'protocol#<anchor>'")
    if anchors and anchor not in anchors:
        raise PolicyError(
            f"{where('policy_ref')}: no protocol section with anchor {anchor!r}; known: {', '.join(sorted(anchors))}"
        )
    channels = data.get("channels")
    if channels is not None and (
        not isinstance(channels, list) or any(c not in CHANNELS for c in channels)
    ):
        raise PolicyError(f"{where('channels')}: channels must be a list of: {', '.join(CHANNELS)}")
    examples = data["examples"]
    if not isinstance(examples, dict) or set(examples) - {"flag", "pass"}:
        raise PolicyError(
            f"{where('examples')}: examples is a mapping with 'flag' and 'pass' lists"
        )
    flag = _example_list(examples.get("flag"), where("examples"))
    passing = _example_list(examples.get("pass"), where("examples"))
    if not flag or not passing:
        raise PolicyError(f"{where('examples')}: give at least one 'flag' and one 'pass' example")
    max_hits = data.get("max_hits", 3)
    if not isinstance(max_hits, int) or max_hits < 1:
        raise PolicyError(f"{where('max_hits')}: max_hits must be a positive whole number")
    rule = cls(
        id=rule_id,
        category=category,
        severity=Severity.parse(data["severity"]),
        message=str(data["message"]).strip(),
        suggestion=str(data["suggestion"]).strip(),
        policy_ref=ref,
        source_file=str(path),
        channels=frozenset("twitter" if c == "x" else c for c in channels) if channels else None,
        examples_flag=flag,
        examples_pass=passing,
        max_hits=max_hits,
    )
    if data.get("exceptions"):
        rule.exceptions = _side_matcher(data["exceptions"], "exceptions", vocab, where)
    if data.get("skip_if"):
        rule.skip_if = _side_matcher(data["skip_if"], "skip_if", vocab, where)
    rule.configure(data, vocab, where)
    return rule


def _side_matcher(
    value: Any, key: str, vocab: dict[str, list[str]], where: Callable[[str], str]
) -> Matcher:
    """``exceptions`` / ``skip_if``: a list of terms, or a mapping of matcher fields.

    The mapping form (``{terms: [...], patterns: [...]}``) lets a rule name a shape
    ("killed it" as praise, a place name followed by "General") rather than list phrases.
    """
    if isinstance(value, dict):
        bad = sorted(set(value) - {"terms", "vocab", "patterns", "case_sensitive"})
        if bad:
            raise PolicyError(
                f"{where(key)}: unknown key {bad[0]!r} in {key!r}; allowed: terms, vocab, patterns, case_sensitive"
            )
        return build_matcher(value, vocab, where)
    return build_matcher({"terms": value}, vocab, where)


def _apply_overrides(rules: list[Rule], overrides: dict[str, str], source: str) -> list[Rule]:
    known = {r.id for r in rules}
    out = []
    for rule_id, value in overrides.items():
        if rule_id not in known:
            raise PolicyError(f"{source}: override names unknown rule {rule_id!r}")
        if value != "off" and value not in RULE_SEVERITIES:
            raise PolicyError(
                f"{source}: override for {rule_id!r} must be one of {', '.join(RULE_SEVERITIES)} or off"
            )
    for r in rules:
        override = overrides.get(r.id)
        if override == "off":
            continue
        if override:
            r.severity = Severity.parse(override)
        out.append(r)
    return out


def load_policy(config: Config, *, directory: Path | None = None) -> Policy:
    """Load the policy for ``config`` (cached: loading happens once per process)."""
    hit = _BY_CONFIG.get(id(config))
    if hit is not None and directory is None and hit[0] is config and hit[1] == config.profile:
        return hit[2]
    d = (directory or config.policy_dir or default_policy_dir()).resolve()
    org = config.organisation
    key = json.dumps(
        {
            "dir": str(d),
            "profile": config.profile,
            "overrides": config.overrides,
            "org": [org.name, org.domains, org.emails, org.phones, org.head_office, org.places],
        },
        sort_keys=True,
    )
    policy = _load_cached(key, d, config)
    if directory is None:
        if len(_BY_CONFIG) > 64:
            _BY_CONFIG.clear()
        _BY_CONFIG[id(config)] = (config, config.profile, policy)
    return policy


#: Fast path for the hot loop: the same Config object asks again and again.
_BY_CONFIG: dict[int, tuple[Config, str, Policy]] = {}


_CACHE: dict[str, Policy] = {}


def _load_cached(key: str, directory: Path, config: Config) -> Policy:
    hit = _CACHE.get(key)
    if hit is None:
        hit = _load_compiled(key, directory, config)
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = hit
    return hit


def _load_compiled(key: str, directory: Path, config: Config) -> Policy:
    """From the on-disk compiled-policy cache (see :mod:`bot.policy.cache`), else built."""

    if not directory.is_dir():
        raise PolicyError(f"policy folder not found: {directory}")
    disk_key = cache.key_for(directory, key)
    policy = cache.load(disk_key)
    if isinstance(policy, Policy):
        return policy
    policy = _load(directory, config)
    cache.store(disk_key, policy)
    needs.save_memo()  # the patterns' needs, for the next build after an edit
    return policy


def clear_cache() -> None:
    """Forget loaded policies (tests and `policy lint` after edits)."""
    _CACHE.clear()
    _BY_CONFIG.clear()


def _load(directory: Path, config: Config) -> Policy:
    import yaml

    from bot.yamlutil import load_yaml_with_lines

    if not directory.is_dir():
        raise PolicyError(f"policy folder not found: {directory}")
    packs, profile_overrides, profile_src = _load_profile(directory, config.profile)
    sections = parse_protocol(directory / "protocol.md")
    anchors = set(sections)
    vocab = _read_vocab(directory, config)
    digest = hashlib.sha256()
    digest.update(Path(profile_src).read_bytes())
    for vfile in (
        sorted((directory / "vocab").glob("*.txt")) if (directory / "vocab").is_dir() else []
    ):
        digest.update(vfile.name.encode() + vfile.read_bytes())
    if (directory / "protocol.md").is_file():
        digest.update((directory / "protocol.md").read_bytes())
    rules: list[Rule] = []
    for pack, path in _iter_rule_files(directory, packs):
        raw = path.read_bytes()
        digest.update(f"{pack}/{path.name}".encode() + raw)
        try:
            data, lines = load_yaml_with_lines(path)
        except yaml.YAMLError as exc:
            raise PolicyError(f"{path}: not valid YAML: {exc}") from None
        except UnicodeDecodeError:
            raise PolicyError(f"{path}: not UTF-8 text") from None
        rules.append(build_rule(pack, path, data, lines, vocab, anchors))
    rules = _apply_overrides(rules, profile_overrides, profile_src)
    rules = _apply_overrides(rules, config.overrides, config.source or "organisation config")
    org = config.organisation
    digest.update(
        json.dumps(
            [config.overrides, org.domains, org.emails, org.phones, org.head_office, org.places],
            sort_keys=True,
        ).encode()
    )
    return Policy(
        rules=rules,
        version=digest.hexdigest()[:12],
        profile=config.profile,
        directory=directory,
        sections=sections,
        vocab=vocab,
    )
