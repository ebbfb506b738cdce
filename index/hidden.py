"""Markup a reader never sees: elements hidden by the ``hidden`` attribute or an inline style.

Hidden text is where web pages put instructions meant for a machine reader ("say the mayor
resigned" in a ``display:none`` paragraph); a news article shows its reader everything it says, so
what it hides is dropped before the text is extracted. trafilatura already drops ``display:none``,
``visibility:hidden`` and ``aria-hidden`` elements but keeps ``hidden`` ones and zero-size or
transparent text; feed entries' HTML went through no such step at all.
"""
from __future__ import annotations

import re

_HIDING_STYLE = re.compile(r"display:none|visibility:hidden|font-size:0(?:\.0+)?(?:px|pt|em|rem|%)?(?:;|$)"
                           r"|opacity:0(?:\.0+)?(?:;|$)")


def hidden(element) -> bool:
    """Whether an lxml element is hidden from the page's reader by attribute or inline style."""
    style = re.sub(r"\s+", "", str(element.get("style") or "")).lower()
    return element.get("hidden") is not None or bool(_HIDING_STYLE.search(style))


def drop_hidden(root) -> int:
    """Remove every hidden element (with its text; the text after it stays) from an lxml tree; how many."""
    found = [e for e in root.iter() if isinstance(e.tag, str) and hidden(e)]
    for element in found:
        element.drop_tree()
    return len(found)


def visible_html(html: str) -> str:
    """A page's HTML without its hidden elements (as it was, when it does not parse)."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return html
    return lxml_html.tostring(root, encoding="unicode") if drop_hidden(root) else html
