"""Markdown from files made inert before Streamlit renders it: no link, no image, no HTML.

Streamlit's Markdown renderer (GitHub-flavoured) turns ``![a](http://x/p.png)`` into an image
the browser fetches, ``[a](url)``, ``<http://x>`` and raw ``<a>``/``<img>`` into links, and
``$...$`` into KaTeX (which has ``\\href``). A briefing is a file anyone who can write to the
data directory controls, and the portal never calls out, so rather than recognise every link
form (reference definitions, nested brackets, angle-bracket destinations, ...) the text is
escaped so that none can form: every ``[``, ``]``, ``<`` and ``$`` is backslash-escaped
(rendered as itself). Bare ``http://x``, ``www.x`` and ``a@b.c`` are linked after parsing, on
the text itself, where escapes are already gone: an invisible word joiner (U+2060) after the
``:`` of ``://``, after ``www`` and after ``@`` keeps them from matching. Images are first
rewritten to their alt text, so a reader sees what was left out. Inside code spans the escapes
show as backslashes; briefings have no such spans.
"""

from __future__ import annotations

import re

# ![alt](anything up to the closing parenthesis): the alt text and a note, no fetch.
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_ESCAPED = re.compile(r"([\[\]<$])")
_BARE_LINK = re.compile(r"(?i)(?<=[a-z0-9]:)(?=//)|(?<=www)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def inert_markdown(text: str) -> str:
    """``text`` with every image and link made plain text (the rest of the Markdown intact)."""
    text = _IMAGE.sub(lambda m: f"{m.group(1) or 'image'} (remote image not loaded)", text)
    text = _ESCAPED.sub(r"\\\1", text)
    return _BARE_LINK.sub(WORD_JOINER, text)
