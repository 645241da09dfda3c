"""How much prompt the items of each built-in suite share: would reusing a prefix's KV pay?

Every prompt is rendered and tokenised exactly as the task worker does (the model's chat
template, vocabulary only: nothing is computed); the shared prefix of a pass is the longest
run of leading tokens all its prompts have in common. Reusing it would save that many prefill
tokens per item after the first.

Usage: .venv/bin/python benchmarks/shared_prefix.py MODEL.gguf
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sizer.tasks import worker
from sizer.tasks.run import TaskRequest, passes
from sizer.tasks.suites import SUITE_NAMES


def common_prefix(token_lists: list[list[int]]) -> int:
    first, shortest = token_lists[0], min(len(t) for t in token_lists)
    k = 0
    while k < shortest and all(t[k] == first[k] for t in token_lists):
        k += 1
    return k


def vocab_only_chat(path: str) -> worker.Chat:
    import llama_cpp

    chat = worker.Chat.__new__(worker.Chat)
    chat.llm = llama_cpp.Llama(path, vocab_only=True, verbose=False)
    chat.formatter = chat._chat_formatter()
    return chat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    args = parser.parse_args()
    chat = vocab_only_chat(args.model)
    print(f"{'suites':<6} {'pass':<22} {'items':>5} {'shared':>6} {'mean prompt':>11} {'saved':>6}")
    for quick in (True, False):
        saved_all = total_all = 0
        request = TaskRequest([args.model], Path("unused"), suites=list(SUITE_NAMES), quick=quick)
        for p in passes(request):
            tokens = [chat.tokens(pr.to_dict(), pr.document) for _, pr in p.pairs]
            shared, total = common_prefix(tokens), sum(len(t) for t in tokens)
            saved = shared * (len(tokens) - 1)
            saved_all, total_all = saved_all + saved, total_all + total
            print(
                f"{'quick' if quick else 'full':<6} {p.label:<22} {len(tokens):>5} {shared:>6} "
                f"{total // len(tokens):>11} {saved / total:>6.0%}"
            )
        print(f"{'':<6} {'all passes':<22} {'':>5} {'':>6} {'':>11} {saved_all / total_all:>6.0%}")


if __name__ == "__main__":
    main()
