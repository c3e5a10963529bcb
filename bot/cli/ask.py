"""``canipost ask "question"``: answer a question about the social media policy, cited."""

from __future__ import annotations

import argparse
import json
import textwrap

from bot.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ask",
        help="ask a question about the social media policy",
        description=(
            "Answer a question about the organisation's social media policy, citing the "
            "protocol sections it relies on. With an AI model configured (OPENAI_API_KEY, "
            "OPENAI_BASE_URL, CANIPOST_MODEL) the model answers from the most relevant "
            "sections only; without one, or with --no-llm, the answer quotes those sections. "
            "Questions about anything else get a polite refusal. Exit status: 0 answered "
            "(or politely refused), 2 usage, configuration or input error."
        ),
        epilog='Example: canipost ask "Can I comment on a court case on Facebook?" --json',
    )
    p.add_argument(
        "question", nargs="+", help="the question (quote it, or give it as several words)"
    )
    p.add_argument(
        "--json", action="store_true", help='print {"answer", "citations", "llm"} as JSON'
    )
    p.add_argument(
        "--no-llm",
        action="store_true",
        help="answer from the protocol alone, even if an AI model is configured",
    )
    p.add_argument(
        "--profile", metavar="PROFILE", help="council|nhs|charity|business (default: from config)"
    )
    p.add_argument(
        "--config", metavar="FILE", help="organisation config YAML (default: $CANIPOST_CONFIG)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.ask import ask
    from bot.cli.check import config_from_args

    question = " ".join(args.question).strip()
    if not question:
        raise InputError('no question given: canipost ask "Can I comment on a court case?"')
    config = config_from_args(args)
    answer = ask(question, config=config, use_llm=False if args.no_llm else None)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(answer.answer)
    if answer.citations:
        print("\nSources:")
        for n, c in enumerate(answer.citations, 1):
            print(f"  [{n}] {c.section} ({c.anchor})")
            print(
                textwrap.fill(
                    f"\u201c{c.quote}\u201d",
                    width=88,
                    initial_indent="      ",
                    subsequent_indent="      ",
                )
            )
    note = f"llm {answer.llm}"
    if answer.llm == "failed" and answer.llm_reason:
        note += f": {answer.llm_reason}; answered from the policy text"
    print(f"\n({note})")
    return 0
