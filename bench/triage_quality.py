"""The triage baseline's quality on the project's labelled set (bench/data/triage/<lang>.jsonl), and its speed.

Each language's messages are split in two halves by a hash of their id, the same way on every run: the
baseline's lexicons were tuned by reading the dev half only, so the test half (the default) is the
honest figure; --split all reads both. For each language and each class (the intents, then the
sentiments) it prints precision, recall, F1 and support (the messages labelled that class), the macro
averages over the classes, accuracy, and then the baseline's messages per second over the whole set
(one process, one thread, lexicons already loaded).

    .venv/bin/python bench/triage_quality.py                 # the test half
    .venv/bin/python bench/triage_quality.py --split dev     # what tuning looked at
    .venv/bin/python bench/triage_quality.py --split all --errors 10   # also show 10 misreadings per language
"""
import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.triage.baseline import BaselineProvider  # noqa: E402
from app.vocabulary import INTENTS, SENTIMENTS  # noqa: E402

DATA = ROOT / "bench" / "data" / "triage"
LANGUAGES = ("en", "ru", "be", "ar")


def split_of(message_id):
    """"dev" or "test" for a message, from its id alone (so adding messages never moves others)."""
    return "dev" if hashlib.sha256(message_id.encode()).digest()[0] % 2 == 0 else "test"


def load(language, split):
    path = DATA / f"{language}.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if split == "all" or split_of(row["id"]) == split]


def scores(gold, predicted, classes):
    """{class: (precision, recall, f1, support)}, with None for a precision nothing was predicted as."""
    table = {}
    for label in classes:
        true_positive = sum(g == label and p == label for g, p in zip(gold, predicted))
        said = sum(p == label for p in predicted)
        support = sum(g == label for g in gold)
        precision = true_positive / said if said else None
        recall = true_positive / support if support else None
        f1 = (2 * precision * recall / (precision + recall) if precision and recall else
              0.0 if precision is not None and recall is not None else None)
        table[label] = (precision, recall, f1, support)
    return table


def _cell(value):
    return "   -  " if value is None else f"{value:6.3f}"


def print_table(title, gold, predicted, classes):
    table = scores(gold, predicted, classes)
    print(f"  {title:<10} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}")
    for label, (precision, recall, f1, support) in table.items():
        print(f"  {label:<10} {_cell(precision):>9} {_cell(recall):>7} {_cell(f1):>7} {support:>8}")
    present = [row for row in table.values() if row[3]]  # classes the split holds
    macro = [sum(row[i] or 0.0 for row in present) / len(present) if present else None for i in range(3)]
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else None
    print(f"  {'macro':<10} {_cell(macro[0]):>9} {_cell(macro[1]):>7} {_cell(macro[2]):>7} {len(gold):>8}"
          f"   accuracy {_cell(accuracy)}")
    return macro[2]


def speed(provider, items, repeat):
    provider.classify(items[:10])  # lexicons loaded before the clock starts
    started = time.perf_counter()
    for _ in range(repeat):
        provider.classify(items)
    return len(items) * repeat / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="test")
    parser.add_argument("--errors", type=int, default=0, help="misread messages to show per language")
    parser.add_argument("--repeat", type=int, default=20, help="passes over the whole set to time")
    args = parser.parse_args()

    provider = BaselineProvider()
    every = []
    for language in LANGUAGES:
        rows = load(language, args.split)
        print(f"\n{language}: {len(rows)} messages ({args.split} split)")
        if not rows:
            continue
        predicted = provider.classify([(row["text"], language) for row in rows])
        print_table("intent", [r["intent"] for r in rows], [p.intent for p in predicted], INTENTS)
        print_table("sentiment", [r["sentiment"] for r in rows], [p.sentiment for p in predicted], SENTIMENTS)
        wrong = [(r, p) for r, p in zip(rows, predicted) if (r["intent"], r["sentiment"]) != (p.intent, p.sentiment)]
        for row, signals in wrong[:args.errors]:
            print(f"    {row['id']}: gold {row['intent']}/{row['sentiment']}, read {signals.intent}/"
                  f"{signals.sentiment}: {row['text']}")
        every += [(row["text"], language) for row in rows]
    all_rows = [(row["text"], language) for language in LANGUAGES for row in load(language, "all")]
    if all_rows:
        print(f"\nbaseline speed: {speed(provider, all_rows, args.repeat):,.0f} messages/s "
              f"({len(all_rows)} messages x {args.repeat}, one thread)")


if __name__ == "__main__":
    main()
