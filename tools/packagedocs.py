#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the package's generated documents, so each keeps a single source:

  man BINARY METAINFO OUTDIR   convscope.1.gz and convscope-COMMAND.1.gz for every command
                               that `BINARY --help` lists, from the binary's own --help texts
                               (the man pages cannot drift from what the program prints)
  changelog METAINFO OUT PACKAGE MAINTAINER
                               a Debian-format changelog (gzip -9n) of the metainfo's
                               <releases>, which are the project's release notes

Both are built at build time by packaging/CMakeLists.txt. gzip output has no name and a
zero timestamp so the files are reproducible (lintian checks both).
"""
import gzip
import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

HOMEPAGE_NOTE = "the README of the source tree"


def run_help(binary, *args):
    r = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f"packagedocs: '{binary} {' '.join(args)} --help' exited {r.returncode}: {r.stderr}")
    return r.stdout


def releases(metainfo):
    root = ET.parse(metainfo).getroot()
    out = []
    for rel in root.iter("release"):
        notes = []
        desc = rel.find("description")
        if desc is not None:
            for el in desc:
                if el.tag == "p":
                    notes.append(" ".join("".join(el.itertext()).split()))
                elif el.tag in ("ul", "ol"):
                    notes.extend(" ".join("".join(li.itertext()).split()) for li in el)
        out.append((rel.get("version"), rel.get("date"), notes))
    if not out:
        sys.exit(f"packagedocs: {metainfo} has no <release>")
    return out


def esc(text):
    """Literal text for troff: backslashes, minus signs and control characters at line start."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def split_usage(text):
    """The usage block (the 'usage:' line and its indented continuations) and the rest."""
    lines = text.rstrip("\n").split("\n")
    if not lines or not lines[0].startswith("usage:"):
        sys.exit(f"packagedocs: help text does not start with 'usage:': {lines[:1]}")
    usage = [lines[0][len("usage: "):]]
    i = 1
    while i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
        usage.append(lines[i][len("usage: "):] if lines[i].startswith(" " * 7) else lines[i])
        i += 1
    return usage, lines[i:]


def body(lines):
    """Help prose as filled paragraphs; indented lines (tables, examples) kept as they are."""
    out, fill, literal = [], [], []

    def flush_fill():
        if fill:
            out.append(".PP")
            out.extend(esc(l) for l in fill)
            fill.clear()

    def flush_literal():
        if literal:
            out.extend([".RS 4", ".nf"] + [esc(l) for l in literal] + [".fi", ".RE"])
            literal.clear()

    for line in lines + [""]:
        if not line.strip():
            flush_fill()
            flush_literal()
        elif line.startswith(" ") or line.startswith("example:"):
            flush_fill()
            literal.append(line)
        else:
            flush_literal()
            fill.append(line)
    return out[1:] if out[:1] == [".PP"] else out


def page(name, section_title, version, date, purpose, usage, sections):
    out = [
        f'.TH {name.upper()} 1 "{date}" "convscope {version}" "{section_title}"',
        ".nh",  # no hyphenation nor justification: the text is full of option names
        ".ad l",
        ".SH NAME",
        f"{esc(name)} \\- {esc(purpose)}",
        ".SH SYNOPSIS",
        ".nf",
    ]
    out += [esc(l) for l in usage]
    out.append(".fi")
    for title, lines in sections:
        out.append(f".SH {title}")
        out.extend(lines)
    return "\n".join(out) + "\n"


def commands(top_help):
    """(name, summary) of each command of `convscope --help`."""
    found, inside = [], False
    for line in top_help.split("\n"):
        if line.strip() == "commands:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            m = re.match(r"\s+(\S+)\s+(.*)", line)
            if m:
                found.append((m.group(1), m.group(2)))
    if not found:
        sys.exit("packagedocs: no commands found in the --help text")
    return found


EXIT_STATUS = [
    ".TP", "0", "success",
    ".TP", "1", "an error: bad input, a file that cannot be read or written (the message says which)",
    ".TP", "2", "a usage error: unknown or missing option, bad syntax",
]


def write_gz(path, text):
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
        f.write(text.encode("utf-8"))
    path.write_bytes(raw.getvalue())


def man(binary, metainfo, outdir):
    version, date, _ = releases(metainfo)[0]
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    top = run_help(binary)
    cmds = commands(top)
    usage, _ = split_usage(top)
    see_also = [f".BR convscope\\-{esc(c)} (1)," for c, _ in cmds]
    command_items = []
    for c, summary in cmds:
        command_items += [".TP", f".B {esc(c)}", f"{esc(summary)}; see", f".BR convscope\\-{esc(c)} (1)."]
    desc = [
        "convscope makes torch.nn.Conv2d visible: a desktop app and a headless command line",
        "around a Conv2d engine with PyTorch's exact semantics (channels, kernel, stride,",
        "padding, padding modes, dilation, groups, bias).",
        ".PP",
        "With no argument it opens the desktop app on the bundled sample image. With IMAGE it",
        "opens that image; a session file",
        "(\\fI*.convscope.json\\fR) or a lesson file (JSON with \"format\": \"convscope\\-lesson\")",
        "opens as one. With a command it runs headless and needs no display.",
    ]
    sections = [
        ("DESCRIPTION", desc),
        ("COMMANDS", command_items),
        ("OPTIONS", [".TP", ".BR \\-h \", \" \\-\\-help", "print the usage and the list of commands",
                     ".TP", ".B \\-\\-version", "print the version"]),
        ("ENVIRONMENT", [".TP", ".B CONVSCOPE_IMAGE_BUDGET_MB",
                         "memory budget for decoded images in MB (default 2048); a larger image",
                         "is refused before decoding"]),
        ("EXIT STATUS", EXIT_STATUS),
        ("SEE ALSO", see_also[:-1] + [see_also[-1][:-1] + ";",
                      f"the full guide is {HOMEPAGE_NOTE}."]),
    ]
    pages = {"convscope": page("convscope", "User Commands", version, date,
                               "make torch.nn.Conv2d visible: desktop app and command line",
                               usage, sections)}
    for c, summary in cmds:
        usage, rest = split_usage(run_help(binary, c))
        sections = [("DESCRIPTION", body(rest)), ("EXIT STATUS", EXIT_STATUS),
                    ("SEE ALSO", [".BR convscope (1)"])]
        pages[f"convscope-{c}"] = page(f"convscope-{c}", "User Commands", version, date,
                                       summary, usage, sections)
    for name, text in pages.items():
        write_gz(outdir / f"{name}.1.gz", text)


def changelog(metainfo, out, package, maintainer):
    entries = []
    for version, date, notes in releases(metainfo):
        when = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        items = "\n".join(f"  * {n}" for n in notes) or "  * Release."
        entries.append(f"{package} ({version}) unstable; urgency=medium\n\n{items}\n\n"
                       f" -- {maintainer}  {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\n")
    write_gz(Path(out), "\n".join(entries))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "man":
        man(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "changelog":
        changelog(*sys.argv[2:])
    else:
        sys.exit("usage: packagedocs.py man BINARY METAINFO OUTDIR\n"
                 "       packagedocs.py changelog METAINFO OUT PACKAGE MAINTAINER")
