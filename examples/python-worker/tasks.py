"""Example tasks served to a spindle Pool by a Python worker (see index.js)."""

import re
from collections import Counter

from spindle_worker import check_aborted, serve


def word_stats(text, top=3):
    """The most common words of a text, and how many words it has."""
    words = re.findall(r"[a-z']+", text.lower())
    return {"words": len(words), "top": Counter(words).most_common(top)}


def primes_below(n):
    """Counts primes below n by trial division: CPU work that honours aborts."""
    count = 0
    for k in range(2, n):
        if k % 10_000 == 0:
            check_aborted()  # the caller aborted or the task timed out: stop early
        if all(k % d for d in range(2, int(k**0.5) + 1)):
            count += 1
    return count


def divide(a, b):
    return a / b  # b == 0 raises ZeroDivisionError: the caller's promise rejects with it


if __name__ == "__main__":
    serve({"word_stats": word_stats, "primes_below": primes_below, "divide": divide})
