"""Teams approval cards name the approvers in ``refresh.userIds`` (at most 60), so their copies refresh."""

from __future__ import annotations

from pathlib import Path

from bot.review import review
from bot.store import open_store
from bot.teams.card_schema import validate_card
from bot.teams.cards import approval_card
from bot.verdict import Draft
from bot.workflow import Actor, MemoryNotifier, Workflow


def _submission(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    wf = Workflow(store, notifier=MemoryNotifier())
    text = "Vote Conservative on 2 May!"
    verdict = review(Draft(text), config=wf.config, use_llm=False)
    sub = wf.submit(text=text, verdict=verdict, author=Actor("teams", "29:author"))
    store.dispose()
    return sub


def test_refresh_names_the_approvers_once_each_and_at_most_60(tmp_path: Path) -> None:
    sub = _submission(tmp_path)
    ids = [f"29:approver-{i}" for i in range(70)]
    card = approval_card(sub, titles={}, approvers=["29:approver-0", *ids])
    assert card["refresh"]["userIds"] == ids[:60]
    assert card["refresh"]["action"]["verb"]  # still refreshes through our action
    validate_card(card)  # the Adaptive Card 1.5 schema subset Teams is sent


def test_without_approvers_the_card_refreshes_on_demand_only(tmp_path: Path) -> None:
    card = approval_card(_submission(tmp_path), titles={})
    assert "userIds" not in card["refresh"]


def test_entra_object_ids_become_user_mris(tmp_path: Path) -> None:
    oid = "3F2C1B0A-1111-4222-8333-944455556666"
    card = approval_card(_submission(tmp_path), titles={}, approvers=[oid, "29:1abc"])
    assert card["refresh"]["userIds"] == [f"8:orgid:{oid.lower()}", "29:1abc"]
