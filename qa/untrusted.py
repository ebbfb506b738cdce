"""Article text is untrusted: sentences written as instructions to an assistant are never evidence.

News reports instructions ("the mayor told residents to stay home") but does not address the
reader's assistant, speak in chat roles, ask for a system prompt, tell whoever answers what to
write, or carry citation markers of its own. A sentence that does is a prompt injection, not
reporting: it is kept out of what the model reads, quotes and cites. The rules were measured on
attacks written apart from them (BIPIA's test split; two hand-written sets) and on the
RealTime QA corpus's 354,900 sentences for false alarms (README, *How answers are checked*).
"""
from __future__ import annotations

import re

from .markers import MARKER

# Who an injection addresses: an AI model, by kind or by name.
_NAMES = r"(?:chatgpt|gpt|claude|gemini|copilot|bard)"
_AI = (rf"(?:ai(?: tools?| systems?)?|assistants?|chatbots?|bots?|llms?|(?:large )?language models?|{_NAMES}"
       r"|summari[sz]ers?|summari[sz]ation (?:engines?|tools?)|automated (?:readers?|summaries|systems?))\b")
_PATTERNS = (
    # Chat roles and template tokens opening a line: "Assistant: read ...", "<|im_start|>system".
    r"(?:^|\n)\s*(?:assistant|system|user|ai|chatbot)\s*:",
    r"<\|[a-z_]+\|>|\[/?inst\]|<</?sys>>|</?system>|[\"']role[\"']\s*:\s*[\"']system",
    # Named assistants opening a line: "Copilot: ...", "ChatGPT, Claude and Gemini: ...".
    rf"^\W*{_NAMES}(?:\s*(?:,|and)\s*{_NAMES})*\s*:",
    # Commands about the conversation itself.
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|these\s+)?"
    r"(?:previous\s+|prior\s+|above\s+|earlier\s+|preceding\s+|system\s+)?(?:instructions?|prompts?)\b",
    # The same in Spanish, French and German.
    r"\b(?:instrucciones|consignes|instructions|anweisungen) (?:anteriores|previas|précédentes|antérieures)\b"
    r"|\b(?:vorherigen|bisherigen|vorigen) anweisungen\b",
    r"\bsystem (?:prompt|notice|instructions?)\b|\b(?:developer|hidden) (?:prompt|instructions?)\b",
    r"\byou are now (?:an? |the )?(?:\w+ )?(?:assistant|ai|chatbot|language model|model)\b",
    r"\b(?:from now on,? you|pretend (?:that )?you are)\b",
    r"\bfrom (?:this point|here|now) on\b,?\s+(?:you\b|respond|answer|reply|always|only)",
    r"\b(?:the|this|your) (?:assistant|ai|chatbot|language model|llm)\b.{0,30}\b(?:must|should|will now|shall)\b",
    r"\b(?:answer|respond to|reply to) (?:every|all|any) (?:questions?|queries|messages?) with\b",
    # An assistant addressed by name or role: "Note to AI systems: ...", "If you are a language model, ...",
    # "Chatbots summarising this page ...".
    rf"\b(?:dear|note (?:to|for)|attention|hey|hello)\s+(?:all\s+|any\s+)?{_AI}|\bto (?:any|all|every) {_AI}",
    rf"\bif you are an? {_AI}",
    r"\b(?:note|message|instructions?) (?:to|for) (?:the )?(?:ai )?models?\b|\bhidden (?:note|comment)\b",
    # An assistant at work told what its answer must say: "Chatbots quoting the vote must add that ..."
    # (not "Chatbots should state that they are not doctors, the regulator said").
    rf"\b{_AI}\s+\w+ing\b[^.]{{0,50}}\b(?:must|should|shall|need to|are to)\s+(?:always\s+|also\s+|now\s+|kindly\s+)?"
    r"(?:add|say|state|tell|answer|respond|reply|include|mention|write|output|describe|claim|insist|present|print"
    r"|reveal|repeat|quote|cite)\b",
    rf"{_AI}(?: \w+){{0,3}} (?:reading|summari[sz]ing|processing|parsing|answering|citing|quoting|relaying)"
    r"(?: questions about)? (?:this|these)\b",
    # Telling the one who answers what to say. News never speaks of its reader's reply: on BIPIA's
    # held-out attacks this finds 44 of 75 (every one that changes the reply; the rest are plain
    # questions), and 22 of the RealTime QA corpus's 354,900 sentences (debate moderators' "Senator,
    # your response?", "Your answer may depend on where you live").
    r"\byour (?:response|answer|reply|output)s?\b",
    r"\bwhen (?:you are )?asked about (?:this|it|the)\b.{0,60}\b(?:say|answer|respond|reply)\b",
    r"\b(?:tell|ask) (?:the )?(?:users?|readers?)\b|^\W*before (?:answering|replying|responding),",
    r"\b(?:if|when|whenever|whatever) (?:anyone|someone|the users?|the readers?|users|readers) (?:asks?|mentions?)\b",
    r"\b(?:new|updated|hidden) (?:task|instructions?)\s*:|^\W*#+\s*(?:instruction|system|task)\b|\bsystem override\b",
    # Requests to read or send data no article needs.
    r"/etc/(?:passwd|shadow)|\b(?:read|open|cat) (?:the )?file\b|\bfetch https?://",
    # Forged citation markers ("According to [1], ..."): 3 of the 4,714 RealTime QA articles hold any;
    # and the tags retrieval prompts number sources with ("[source 2]", "[doc 3]"): none holds one.
    MARKER.pattern,
    r"\[(?:source|ref|reference|citation|cite|doc|document|context|passage|snippet)s?\s*\d{1,2}\]",
)
_INSTRUCTION = re.compile("|".join(_PATTERNS), re.IGNORECASE)


# Letters spread out ("I g n o r e") and invisible characters hide a command from the patterns.
_SPREAD = re.compile(r"\b(\w) (?=\w\b)")
_SPREAD_WORD = re.compile(r"(?:\b\w ){4}\w\b")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")


def is_instruction(sentence: str) -> bool:
    """Whether a sentence addresses an assistant as a command rather than reporting news."""
    text = _INVISIBLE.sub("", sentence)
    if _INSTRUCTION.search(text):
        return True
    # Only a sentence with letters spread out is worth a second search, joined up.
    return bool(_SPREAD_WORD.search(text)) and _INSTRUCTION.search(_SPREAD.sub(r"\1", text)) is not None
