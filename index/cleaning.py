"""Strip scrape junk (ad widgets, newsletter promos, navigation) from article bodies."""
from __future__ import annotations

import re

_AD_WIDGET = (
    r"Video player was slow to load content|Video content never (?:loaded|started to load)"
    r"|Ad froze or did not finish loading|Video content did not start after ad"
    r"|Audio on ad was too loud|Ad was repetitive to ads I['’]ve seen previously|Ad never loaded"
    r"|Ad content was distracting|Ad loud|Other issues|Cancel|Submit|Thank you!|Close"
    r"|Your effort and contribution in providing this feedback is much appreciated\."
    r"|Advertisement|Skip Ad|Ad Feedback"
)

_PROMO_WORD = (
    r"\b(?:newsletter|inbox\w*|texts|text (?:messages?|alerts|updates)|dispatch|podcast"
    r"|subscri\w*|updates|latest news|\S+\.com)\b"
)

# Whole lines that are never news. Chosen by counting the short lines that recur across the
# RealTimeQA-2022 scrape (CNN, USA TODAY, The Week) and keeping only the boilerplate ones.
_JUNK_RULES = (
    # CNN's ad-feedback widget; its options arrive run together on one line.
    r"(?:\d+\.\s*)?How relevant is this ad to you\?",
    rf"(?:(?:{_AD_WIDGET})\s*)+",
    # Newsletter, text-alert and subscription promos. A bare "Sign up here" also ends real
    # notices ("...when the application is open. Sign up here"), so it needs a promo word too.
    r"\W*[\w’' ]{1,40}:\s*(?:sign up|subscribe)\b.*",
    rf"\W*(?:sign up|subscribe)\b.*{_PROMO_WORD}.*",
    rf"(?=.*\b(?:sign(?:ing)? up|subscribe)(?: for free)?,? (?:right )?here\b)(?=.*{_PROMO_WORD}).*",
    r".*\b(?:sign(?:ing)? up|subscribe)\b[^.!?]{0,60}\b(?:newsletter|text message alerts|texts)\b.*",
    r"Here['’]s what (?:else )?you need to know to Get Up to Speed and On with Your Day\.?",
    r".*\bbecome a (?:USA TODAY )?(?:digital )?subscriber\b.*",
    r"(?:Thank you for supporting|Support local) (?:our )?journalism\b.*",
    r"A free account gives you:|Unlimited access to all content on \S+|Early access to commenting on select articles",
    # The Week's newsletter-registration form (52 articles are nothing else).
    r"We will use the (?:details|information) you have shared\b.*",
    r"Would you like to receive .{1,60} newsletter ?\?|.{1,60} newsletter provides you with .*",
    r"If you wish to object to the use of your data in this way, please tick here\.",
    r"['‘’]We['’] includes The Week and other Future Publishing Limited brands\b.*",
    # Sponsorship, affiliate and syndication notices.
    r"\W*[\w/.&' ]{1,40} is a USA TODAY content partner\b.*",
    r"Prices were accurate at the time this article was published\b.*",
    r"\W*Recommendations are independently chosen by .*",
    r"The product experts at Reviewed have all your shopping needs covered\b.*",
    r"[\w ,&'’-]{1,80} (?:is|are) (?:made possible|supported) in part by a grant from\b.*",
    r"This story (?:and headline )?(?:has|have) been updated\b.{0,60}",
    # Navigation, social and cookie chrome.
    r"Read more:?|Share this (?:article|story)|Skip to (?:main )?content|Back to top",
    r"Follow (?:us|\w[\w.'’ -]{0,40}) on (?:Twitter|Facebook|Instagram)\b.*",
    r"Follow every game:.*|Check your local forecast here.*|\W*What['’]s the weather up to in your neck of the woods\?.*",
    r"(?:We use cookies|This (?:web)?site uses cookies|By (?:using|continuing to use) (?:this|our) (?:web)?site)\b.*",
    r"(?:Accept|Reject|Manage) (?:all )?cookies|Cookie (?:policy|settings|preferences)",
    # Short picture credits, and separator lines with no letters or digits.
    r"(?:Image|Photo|Photograph|Picture)(?: credit)?s?:.{0,80}",
    r"[\W_]+",
)
_JUNK = re.compile("|".join(f"(?:{rule})" for rule in _JUNK_RULES), re.IGNORECASE)
# Promos are a sentence or three; longer lines are prose that happens to contain a trigger.
_MAX_JUNK_CHARS = 400
_SPACES = re.compile(r"\s+")


def _is_junk(line: str) -> bool:
    return len(line) <= _MAX_JUNK_CHARS and _JUNK.fullmatch(line) is not None


# Chat-template control text (ChatML, Llama [INST]/<<SYS>>) is never article prose: it is an
# injection aimed at the model that will read the passage, so it goes with what it wraps.
_CONTROL = re.compile(r"<\|im_start\|>.*?(?:<\|im_end\|>|$)|<<SYS>>.*?(?:<</SYS>>|$)|<\|[a-z_]+\|>|\[/?INST\]",
                      re.DOTALL | re.IGNORECASE)


def clean_text(text: str) -> str:
    """Drop junk lines and chat-template control text, and normalise whitespace, keeping
    paragraphs apart with a blank line.

    Characters inside lines are left alone (quotes stay verbatim); only runs of
    whitespace become single spaces.
    """
    paragraphs: list[list[str]] = [[]]
    for raw in _CONTROL.sub(" ", text).splitlines():
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            paragraphs.append([])
        elif not _is_junk(line):
            paragraphs[-1].append(line)
    return "\n\n".join("\n".join(lines) for lines in paragraphs if lines)
