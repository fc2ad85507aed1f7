#!/usr/bin/env python3
"""Size limits of the code base: no source file over 600 lines, no C++ function over 60.

A function's length counts the lines from its opening brace to its closing one. Functions are
found by brace matching on the source with comments and literals blanked out: a brace block at
namespace or class scope whose header has a parameter list and is not a type, an initializer or
a lambda assigned to a variable. Nested blocks (lambdas, loops) count toward their function.

Usage: scripts/check-sizes.py [--max-file N] [--max-function N] [paths...]
Exits 1 and lists every offender when a limit is broken.
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_PATHS = ["src", "include", "tests/unit", "fuzz", "bench", "web"]
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".c", ".js"}
CPP_SUFFIXES = {".cpp", ".hpp", ".h", ".c"}
TYPE_HEADER = re.compile(r"\b(namespace|class|struct|union|enum)\b[^()]*$|extern\s*$")


def blank_comments_and_literals(text):
    """Replaces comments and string/char literals by spaces, keeping newlines (line numbers)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):
            # (a ' after a digit is a digit separator: 1'000)
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path, limit):
    """Yields (line, length, header) for each function longer than `limit` lines."""
    code = blank_comments_and_literals(path.read_text(errors="replace"))
    # Preprocessor lines carry no braces that matter and confuse headers.
    code = re.sub(r"(?m)^[ \t]*#.*$", lambda m: " " * len(m.group(0)), code)
    stack = []  # one entry per open brace: "scope" (namespace/class) or "function" or "block"
    header_start = 0
    starts = []
    for i, c in enumerate(code):
        if c in ";":
            if not stack or stack[-1] == "scope":
                header_start = i + 1
        elif c == "{":
            header = code[header_start:i].strip()
            if stack and stack[-1] != "scope":
                kind = "block"
            elif TYPE_HEADER.search(header) or header == "":
                kind = "scope"
            elif "(" in header and not re.search(r"=\s*(\[.*)?$", header.split(")")[0]):
                kind = "function"
            else:
                kind = "block"
            stack.append(kind)
            starts.append((i, header))
            if kind == "scope":
                header_start = i + 1
        elif c == "}":
            if not stack:
                continue
            kind = stack.pop()
            begin, header = starts.pop()
            if kind == "function":
                first = code.count("\n", 0, begin) + 1
                last = code.count("\n", 0, i) + 1
                if last - first + 1 > limit:
                    name = " ".join(header.split())[-80:]
                    yield first, last - first + 1, name
            if not stack or stack[-1] == "scope":
                header_start = i + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-file", type=int, default=600)
    ap.add_argument("--max-function", type=int, default=60)
    ap.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    args = ap.parse_args()
    problems = []
    for p in args.paths:
        base = ROOT / p
        files = [base] if base.is_file() else sorted(base.rglob("*"))
        for f in files:
            if f.suffix not in SOURCE_SUFFIXES or "node_modules" in f.parts or not f.is_file():
                continue
            rel = f.relative_to(ROOT)
            lines = f.read_text(errors="replace").count("\n")
            if lines > args.max_file:
                problems.append(f"{rel}: {lines} lines (limit {args.max_file})")
            if f.suffix in CPP_SUFFIXES:
                for line, length, name in long_functions(f, args.max_function):
                    problems.append(f"{rel}:{line}: function of {length} lines "
                                    f"(limit {args.max_function}): {name}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
