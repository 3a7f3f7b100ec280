"""Showing untrusted text (sources, imports, codebooks) safely: escaped HTML via ``st.html`` (no Markdown)."""
from __future__ import annotations

import html
import re

import streamlit as st

# Every ASCII punctuation Markdown or Streamlit gives a meaning: CommonMark's, plus ``:`` (Streamlit's
# ``:red[...]`` and ``:material/...:``), ``/`` (the app rewrites ``:material/`` before parsing, so the
# slash must not stand next to the colon), ``@`` and ``&`` (e-mail autolinks, entities).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:/@&])")


def md(text: str) -> str:
    """Text made literal for Markdown (labels, help, toasts, alerts, captions): no links (bare URLs
    included), images, HTML, formatting, colours or icons. Each escape is a backslash the reader never sees."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))


def counted(n: int, what: str, plural: str = "") -> str:
    """``1 source``, ``3 codings``, ``2 summaries`` (``plural`` where adding an s is wrong)."""
    return f"{n} {what if n == 1 else plural or what + 's'}"


def esc(text: str) -> str:
    """Text escaped for HTML."""
    return html.escape(text, quote=True)


def quote(text: str, *, limit: int = 400, note: str = "") -> None:
    """A passage from a source as a block quote (escaped), shortened to ``limit`` characters."""
    shown = text if len(text) <= limit else text[:limit].rstrip() + " …"
    extra = f'<div style="font-size:0.8rem;opacity:0.7">{esc(note)}</div>' if note else ""
    st.html(f'<blockquote style="margin:0.1rem 0;padding-left:0.7rem;border-left:3px solid #ccc;'
            f'white-space:pre-wrap">{esc(shown)}{extra}</blockquote>')


def kwic(before: str, match: str, after: str, *, cut_before: bool = True, cut_after: bool = True) -> None:
    """A keyword-in-context line, the match in bold (all escaped); "…" where the context was cut short."""
    st.html(f'<div style="font-size:0.95rem">{"…" if cut_before else ""}{esc(before)}'
            f'<b style="background:#fff3b0">{esc(match)}</b>{esc(after)}{"…" if cut_after else ""}</div>')


def swatch(color: str, label: str, *, css_class: str = "") -> str:
    """HTML for a colour dot and a label (colour must already be checked, label is escaped here); ``css_class``
    names the dot (the Codebook tree's ``wb-code-dot``)."""
    named = f' class="{css_class}"' if css_class else ""
    return (f'<span{named} style="display:inline-block;width:0.7rem;height:0.7rem;border-radius:50%;'
            f'background:{color};margin-right:0.35rem;vertical-align:middle"></span>{esc(label)}')


def name_first(path: str) -> str:
    """A code path as a list shows it when space is short: the code's own name first, then where it sits
    (``Bonding ties · Neighbourhood resilience/Social connectivity``); the full path goes in the tooltip."""
    parent, _, name = path.rpartition("/")
    return f"{name} · {parent}" if parent else name


def paths_help(paths: list[str], lead: str = "") -> str:
    """A tooltip naming code paths in full (Markdown-escaped), one per line."""
    listed = "  \n".join(md(p) for p in paths)
    return f"{lead}  \n{listed}" if lead and listed else (lead or listed)
