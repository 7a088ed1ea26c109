#!/usr/bin/env python3
"""A small Python re-implementation of T-Free's word splitting and trigram hashing, written from
the description of the original code (its wordsplit.py and trigram_tokenizer.py), that runs on
Python's own `re` and `hashlib`. The C++ tests compare tokenizer/tfree_words.cpp and
tokenizer/trigram_hasher.cpp with it.

    python3 tfree_reference.py IN.json OUT.json

IN.json: {"texts": [...], "vocab_size": V, "population": m, "lowercase_overlap": k}
OUT.json: {"words": [[...] per text], "patterns": {word: [sorted distinct ids]} for every word}
"""
import hashlib
import json
import re
import sys

NO_SPACE_AFTER = "#$=-+*/'\"\\(<[]~^&@%_\n "
NO_SPACE_BEFORE = ".,:;?!=-+*/'\"\\)>]~^&@%_\n 1234567890"
WS, NO_WS, NL = "<|ws|>", "<|no_ws|>", "<|\n|>"


def special(w):
    return w.startswith("<|") and w.endswith("|>")


def compress(items):
    if not items:
        return []
    marked = []
    for a, b in zip(items, items[1:]):
        marked.append(a)
        if a != " " and b != " " and a[-1] not in NO_SPACE_AFTER and b[0] not in NO_SPACE_BEFORE:
            marked.append(NO_WS)
    marked.append(items[-1])
    out = [WS if marked[0] == " " else marked[0]]
    for i in range(1, len(marked) - 1):
        prev, mid, nxt = marked[i - 1], marked[i], marked[i + 1]
        if mid != " ":
            out.append(mid)
        elif prev[-1] in NO_SPACE_AFTER or nxt[0] in NO_SPACE_BEFORE or special(prev) or special(nxt):
            out.append(WS)
    if len(marked) > 1:
        out.append(WS if marked[-1] == " " else marked[-1])
    return out


def merge_runs(items):
    out, i = [], 0
    while i < len(items):
        w = items[i]
        if w not in (WS, NL):
            out.append(w)
            i += 1
            continue
        j = i
        while j < len(items) and items[j] == w:
            j += 1
        count, name = j - i, ("<-ws->" if w == WS else "<-\n->")
        pairs = count // 2
        while pairs > 2:
            out.append(f"<|4{name}|>")
            pairs -= 2
        if pairs:
            out.append(f"<|{2 * pairs}{name}|>")
        if count % 2:
            out.append(w)
        i = j
    return out


def text_to_words(text):
    words = []
    for piece in re.split(r"(<\|.*?\|>)", text):
        if special(piece):
            words.append(piece)
            continue
        items = [s for s in re.split(r"(\d|\W|_)", piece) if s]
        items = [NL if s == "\n" else s for s in compress(items)]
        words.extend(merge_runs(items))
    return words


def md5_mod(s, v):
    return int(hashlib.md5(s.encode()).hexdigest(), 16) % v


def plain_row(tid, v, m):
    row = []
    for k in range(m):
        j = 0
        while True:
            h = md5_mod(f"{tid}_{k}_{j}", v)
            j += 1
            if h not in row:
                row.append(h)
                break
    return sorted(row)


def pattern(word, v, m, k):
    if "<|" in word:
        ids = [md5_mod(f"{word}_{i}", v) for i in range(m - k)]
        ids += [md5_mod(f"{word.lower()}_lower_{i}", v) for i in range(k)]
        return sorted(set(ids))
    b = f" {word} ".encode()
    ids = set()
    for t in {b[i:i + 3] for i in range(len(b) - 2)}:
        row = plain_row(int.from_bytes(t, "little"), v, m)
        letters = all(c == 32 or chr(c).isascii() and chr(c).isalpha() for c in t)
        if k and letters and any(65 <= c <= 90 for c in t):
            row[m - k:] = plain_row(int.from_bytes(t.lower(), "little"), v, m)[m - k:]
        ids.update(row)
    return sorted(ids)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    v, m, k = spec["vocab_size"], spec["population"], spec["lowercase_overlap"]
    words = [text_to_words(t) for t in spec["texts"]]
    patterns = {w: pattern(w, v, m, k) for ws in words for w in ws}
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"words": words, "patterns": patterns}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
