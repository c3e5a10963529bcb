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
            "Questions about anything else get a polite refusal. With --thread, a message may "
            "be a follow-up (\u201cwhat about on my personal account?\u201d), a draft to review "
            "(\u201cwhat if I wrote: ...\u201d) or a question about that verdict "
            "(\u201cwhy is that a problem?\u201d). Exit status: 0 answered "
            "(or politely refused), 2 usage, configuration or input error."
        ),
        epilog=(
            'Example: canipost ask "Can I comment on a court case on Facebook?" --json\n'
            '         canipost ask "what about on my personal account?" --thread court --json'
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "question", nargs="+", help="the question (quote it, or give it as several words)"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"answer", "citations", "llm"} as JSON (plus "thread" and "turn" with --thread)',
    )
    p.add_argument(
        "--no-llm",
        action="store_true",
        help="answer from the protocol alone, even if an AI model is configured",
    )
    p.add_argument(
        "--thread",
        metavar="ID",
        help=(
            "keep a conversation: later questions with the same ID are answered in the "
            "context of the earlier ones (stored in DATABASE_URL, kept for "
            "workflow.retention_days); an unknown ID starts a new thread"
        ),
    )
    p.add_argument(
        "--user",
        metavar="ID",
        help="whose thread (default: your login name); each user's threads are their own",
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
    use_llm = False if args.no_llm else None
    if args.thread is None:
        answer = ask(question, config=config, use_llm=use_llm)  # no database needed
    else:
        from bot.ask.conversation import ask_in_thread

        thread = args.thread.strip()
        if not thread:
            raise InputError("--thread needs an id, for example: --thread court-question")
        answer = ask_in_thread(
            question,
            thread_key=thread,
            user=(args.user or _login()).strip() or "cli",
            platform="cli",
            config=config,
            use_llm=use_llm,
        )
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(answer.answer)
    if answer.verdict is not None:
        for f in answer.verdict.get("findings", []):
            quote = f" \u201c{f['quote']}\u201d" if f.get("quote") else ""
            print(f"  - {f['severity']}{quote}: {f['message']}")
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
    if answer.thread is not None:
        note = f"thread {answer.thread}, {note}"
    if answer.llm == "failed" and answer.llm_reason:
        note += f": {answer.llm_reason}; answered from the policy text"
    print(f"\n({note})")
    return 0


def _login() -> str:
    """The login name: the CLI's notion of who is asking."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "cli"
