"""What a question asks: its parts, what kind of answer each part wants, and its weighted words.

Nothing here knows the documents' subject. The words that count are weighted by their rarity in
the indexed documents (IDF), and a question's references to a document ("the joint statement",
"the CRS brief") are recognised by the documents' own titles and publishers.

- Parts: "What did X expect, and how did Y compare?" is two questions; each is answered (or
  declined) on its own, so a multi-part question is never answered for one part only.
- Answer type: a "when" question needs a date in the sentence that answers it, "how many" a
  figure, "who"/"which party" a name, "what exactly did … say" a quotation. A sentence on the
  topic without it does not answer the question: the documents then "don't state" it.
- Follow-ups: a short question that cannot stand alone ("Did they agree on a hotline?",
  "And about tariffs?") is read with the user's previous question; the new words keep full
  weight and the earlier ones a share, so retrieval stays on the subject while the answer
  must speak to what is asked now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .followup import MAX_HISTORY, needs_context
from .keyword import tokenize

DATE, NUMBER, NAME, PLACE, QUOTE, REASON, WHO, WHERE, OTHER = (
    "date", "number", "name", "place", "quote", "reason", "who", "where", "other")
# What the sentence that answers must hold; without it the documents don't state the answer.
REQUIRED = frozenset({DATE, NUMBER, NAME, PLACE, QUOTE, REASON})
HISTORY_WEIGHT = 0.5  # share of weight the previous question's words keep in a follow-up
PREAMBLE_WEIGHT = 0.4  # "Some say … . What does the statement say about X?": the question counts most

_LEAD = re.compile(r"^\s*(?:(?:and|but|so|also|then|now|ok(?:ay)?|well|exactly|precisely|roughly|approximately|"
                   r"specifically)\b[\s,]*|according to [^,?]{1,80},\s*"
                   r"|in (?:the|this|that) [^,?]{1,60},\s*|per [^,?]{1,60},\s*)+", re.I)
# A year, as every year pattern here and in evidence.py reads it; the end of a range may drop
# the century ("2025–26"); the kinds of year a period is counted in ("model year 2027").
YEAR = r"(?:1[89]|20)\d\d"
_YEAR_END = r"(?:1[89]|20)?\d\d"
_PERIOD_KIND = r"(?:fiscal|model|crop|calendar|school|tax)"
_PEOPLE = (r"(?:senators|representatives|lawmakers|legislators|members|officials|leaders|ministers|governors|mayors|"
           r"presidents|people|persons|individuals)")
_TYPES: list[tuple[str, re.Pattern]] = [
    (QUOTE, re.compile(r"^(?:what|which)\b.{0,40}\b(?:exact(?:ly)?|precise(?:ly)?|verbatim)\b.{0,40}"
                       r"\b(?:say|said|write|wrote|post|posted|word|words|wording|phrase|call)\b"
                       r"|^(?:in what words|what (?:were|was) the (?:exact )?(?:words|wording))"
                       # "What is the quote …?", not "… in the attribution of his quote"
                       r"|^(?:what|which) (?:is|was|are|were) the (?:exact |full )?(?:quote|quotation)s?\b", re.I)),
    (DATE, re.compile(r"^(?:when|since when|until when|by when)\b|^(?:in |on |at |by |from |until |since |as of |for )?"
                      r"(?:exactly |precisely )?(?:what|which) (?:exact |precise |specific )?(?:" + _PERIOD_KIND + r" )?"
                      r"(?:year|years|date|month|day|time|decade)\b"
                      r"|^(?:what|which) (?:is|was|are|were) the (?:exact |precise |specific )?(?:date|day|year)s?\b", re.I)),
    (NUMBER, re.compile(r"^(?:(?:(?:by|to|of|at|in|for|from|with|over) )?how (?:many|much|large|big|high|low|far|long|"
                        r"often|fast|old)|(?:what|which) public laws?\b"
                        r"|(?:what|which) (?:is |was |were |are )?(?:the )?"
                        r"(?:(?!(?:to|of|for|the|a|an|in|on|by|that|which|with|and|or|from|at|about|do|does|did|"
                        r"is|are|was|were|has|have|had|will|would|can|could|should|may|might|must)\b)[\w-]+ ){0,5}"
                        # "share" followed by its object is a verb: "which committees share jurisdiction"
                        r"(?:percentage|percent|share(?!\s+(?!(?:of|in|did|does|do|was|is|were|are|will|would|has|"
                        r"have|had|for)\b)[a-z])|proportion|number|amount|rate|level|figure|sum|total|"
                        r"size|cost|value|price|budget|count|ratio|tally|population|threshold|cutoff|cut-off|limit|"
                        r"cap|ceiling|factor|multiplier|margin|score|weight|capacity|length|height|distance|speed|"
                        r"volume|duration|average|mean|median))\b"
                        r"(?!\s+(?:\d|(?-i:[A-Z]|[IVX]+)\b))", re.I)),  # "what does Figure 1 show": a name, not a figure
    # "Who is the administrator?", "Who chairs it?": a person or body must be named.
    (NAME, re.compile(r"^who (?:is|was|are|were) (?:the|its|their|his|her|our|now|currently|elected|appointed|named|"
                      r"chosen|in charge|responsible)\b|^who(?:'s)\b"
                      # "Who is Chile's foreign minister?": a role someone holds
                      r"|^who (?:is|was|are|were) (?:[A-Z][\w.-]*\s){0,3}[A-Z][\w.-]*['’]s\s"
                      r"|^who (?:holds?|held|serves?|served|became|chairs?|chaired|leads?|led|heads?|headed|signed|"
                      r"wrote|authored|introduced|sponsored|co-?sponsored|said|announced|"
                      r"appointed|nominated|runs?|ran|founded|won|succeeded|replaced|directs?|directed|oversees?|"
                      r"oversaw|manages?|managed|hosts?|hosted|funds?|funded|pays?|paid)\b"
                      # "Who will chair the new track?": a role someone is to hold
                      r"|^who (?:will|would|is to|is going to|should|could) (?:chair|lead|head|run|direct|oversee|"
                      r"manage|host|fund|pay|sign|succeed|replace)\b", re.I)),
    (WHO, re.compile(r"^(?:who|whom|whose)\b", re.I)),
    (PLACE, re.compile(r"^(?:(?:in|at|from|to) )?(?:what|which) (?:city|town|country|place|province|state|region|"
                       r"venue|capital|location|site)\b|^where (?:is|are|was|were|will|would) (?:it|they|this|that|the (?:\S+ ){0,3}\S+) "
                       r"(?:(?:going |set |due )?(?:to )?be )?(?:located|based|held|signed|headquartered|hosted|built)\b", re.I)),
    (NAME, re.compile(r"^(?:what|which) (?:is|was|were|are) the names?\b"
                      r"|^(?:what|which) (?:\w+ )?(?:is|was) (?:it|this|that|the \w+) called\b"
                      r"|^(?:what|which) (?:company|companies|party|parties|agency|agencies|organi[sz]ations?|firms?|"
                      r"ministry|ministries|departments?)\b"
                      # Makers, cartels, stadiums: things known by their names ("which two cartels",
                      # "which Chinese drone makers")
                      r"|^(?:what|which) (?:two |three |four |five |\d+ )?(?:[\w-]+ ){0,2}?(?:(?:auto|car|drone|chip)?makers|"
                      r"manufacturers|automakers|carmakers|airlines|banks|cartels|gangs|stadiums|arenas|airports|"
                      r"universities|newspapers)\b"
                      # "Which senators voted against it?", "which states did it pick?": named people and places
                      r"|^(?:(?:in|at|from|to|for|by|among|with) )?(?:what|which) (?:" + _PEOPLE
                      + r"|cities|towns|countries|provinces|states|regions)\b", re.I)),
    (WHERE, re.compile(r"^where\b", re.I)),
    (REASON, re.compile(r"^(?:why|how come|for what reasons?|what (?:led|prompted|caused|drove|motivated)"
                        r"|(?:what|which) (?:reasons?|rationale|justifications?|explanations?|grounds))\b", re.I)),
]
# A preposition before a question word: "through which office", "and by when".
_PREPOSED = (r"(?:(?:through|in|by|for|under|from|to|with|of|at|on|during|into|among|between|after|before|"
             r"within|over|against|via|across|upon|since|until)\s+(?=(?:what|which|who|whom|whose|when|where|how)\b))?")
_SPLIT = re.compile(
    r"(?:[;?]\s+|,?\s+(?:and|but|while|whereas)\s+)(?=" + _PREPOSED + r"(?:what|which|who|whom|whose|when|where|why|"
    r"how|whether|is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b)", re.I)
_MIN_PART_WORDS = 2
_ASKS = re.compile(_PREPOSED + r"(?:what|which|who|whom|whose|when|where|why|how|whether|is|are|was|were|do|does|did|has|have|"
                   r"had|can|could|will|would|should|list|name|describe|explain|give|tell|summari[sz]e)\b", re.I)
_NEW_TOPIC = re.compile(r"^\s*(?:and|but|also|so)?[\s,]*(?:what|how)?\s*(?:about|on|regarding|concerning|as for|"
                        r"with regard to)\s+(?P<topic>[^?]{1,80})\??\s*$", re.I)
_TOPIC_MARKER = re.compile(r"\b(?:about|regarding|concerning|with regard to)\s+", re.I)
_TAIL_MARKER = re.compile(r"\b(?:on|for)\s+", re.I)
_MAX_TAIL_WORDS = 5
_NAME_PHRASE = re.compile(r"\b[A-Z][\w.'’-]*(?:\s+(?:of\s+)?[A-Z][\w.'’-]*)*(?:,\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*)?")
# Words that frame a question rather than say what it is about.
_FURNITURE = frozenset(tokenize("still case true exactly actually really anything something specifically "
                                "particular name named called kind sort many much get gets got getting"))
# Idioms that place a question in time, sum it up or hedge it ("so far", "all told", "supposed
# to"): their words ("far", "told", "supposed") are rare in any document, so they would weigh as
# if they were what is asked about.
_FRAMING = re.compile(r"\b(?:so far|thus far|to date|as yet|all told|all in all|as of now|by now|at present|at the time"
                      r"|(?:supposed|meant|going|expected|scheduled|slated|due|likely|on track) to)\b", re.I)
# Words that name the kind of value asked for ("how much money", "in what year"): the value itself
# answers them, so a sentence need not repeat them to speak to what is asked.
_KIND_WORDS = {NUMBER: frozenset(tokenize("number amount figure total sum count quantity money dollars")),
               DATE: frozenset(tokenize("date year month day time")),
               PLACE: frozenset(tokenize("city town country place location"))}
# Capitalised, but not names: months and days date things, they do not say what is asked about;
# "I'm" is the user.
_NOT_NAMES = frozenset(tokenize("january february march april may june july august september october november "
                                "december monday tuesday wednesday thursday friday saturday sunday I'm I've I'd I'll"))
_CURRENT = re.compile(r"\b(?:current(?:ly)?|latest|now|today|still|most recent|newest|present|nowadays|"
                      r"up to date|as of now)\b", re.I)
_TEMPORAL = re.compile(r"\b(?:chang(?:e|ed|es|ing)|anymore|previous(?:ly)?|original(?:ly)?|at the time|earlier|"
                       r"compared?|since then|over time|evolv(?:e|ed|ing)|shift(?:ed)?|went from|used to|"
                       r"before and after|then and now|did .{0,40} happen)\b", re.I)
_YEAR = re.compile(YEAR)
# A year placing what is asked ("in FY2025?", "for model year 2031", "by October 2024"), not one
# naming the thing it is about ("the 2021 executive order", "in 2023 talks"): no noun follows it.
_ASKED_YEAR = re.compile(
    r"\b(?:in|for|during|by|as of|through)\s+(?:(?:the\s+)?" + _PERIOD_KIND + r"\s+years?\s+"
    r"|(?:FY|MY|CY)\s?|(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(?:\d{1,2},\s+)?)?(" + YEAR + r"(?:\s*(?:-|–|and|or|to|through)\s*(?:FY|MY)?" + _YEAR_END + r")*)\b"
    r"(?![-–]\w|\s+(?!(?:and|or|to|through|than|as|when|while|after|before|under|with|compared|versus|vs|in|at|on|"
    r"by|for|of)\b)[a-z])", re.I)
# "Has the committee sent the bill to the floor?", "Have the rules been finalised yet?": how
# things stand, which the newest source says (and older ones may say otherwise).
_STATUS = re.compile(r"^(?:has|have)\s+(?!.*\b(?:ever|before)\b)", re.I)
# "The current president": which source is newest says what is current; the word itself is not
# what a sentence must say ("Lee's current positions" is not about who is president).
_NOW_WORDS = frozenset(tokenize("current currently latest now today nowadays newest recent"))
_CAPITALISED = re.compile(r"\b[A-Z][\w.'’-]*[A-Za-z0-9]|\b[A-Z]\b")


@dataclass
class Part:
    text: str  # the part as asked, without its lead-in ("and", "according to the report,")
    weights: dict[str, float]  # stemmed content word -> weight (IDF × share)
    answer_type: str = OTHER
    surface: dict[str, str] = field(default_factory=dict)  # stemmed word -> as the user wrote it
    # The part's own words that are not names: what it asks about the things it names ("term",
    # "end" in "when is Lee's term scheduled to end?"). A sentence that answers speaks to them.
    focus: dict[str, float] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # stemmed words of the proper names it uses
    # For a figure: what it must be a figure of ("how many submarines": {"submarin"}), or
    # MONEY / PERCENT for "how much does it cost", "what share"; for a date, DAY if it asks for one.
    unit: frozenset[str] = frozenset()
    label: str = ""  # TITLE, HEADING, SUBTITLE, CAPTION, DISCLAIMER or DATELINE: it asks for a label (labels.py)
    # The years what is asked is of ("the error rate in FY2025"): a figure of another year does not answer.
    period: frozenset[int] = frozenset()
    # For a name: the kind of thing it names ("which states": "state"), when the question says.
    instance_of: str = ""

    @property
    def total(self) -> float:
        return sum(self.weights.values()) or 1.0


@dataclass
class Question:
    text: str  # as asked (cleaned)
    query: str  # what retrieval searches for (with the previous question for a follow-up)
    parts: list[Part]
    names: set[str] = field(default_factory=set)  # stemmed words of the question's proper names
    wants_current: bool = False  # "current", "latest", "still": prefer the newest source
    temporal: bool = False  # asks how things stand or changed over time: compare sources of different dates
    follow_up: bool = False
    context: str = ""  # the earlier question a follow-up was read with

    @property
    def words(self) -> set[str]:
        return {w for p in self.parts for w in p.weights}

    @property
    def asked(self) -> str:
        """The question with the earlier one it was read with: what a value must not merely repeat."""
        return f"{self.text} {self.context}"


def analyse(text: str, history: Sequence[str], idf) -> Question:
    """`idf(token) -> float` gives each word's rarity in the indexed documents."""
    idf = _compounds_by_their_parts(idf)
    previous = [h.strip() for h in history if h and h.strip()][-MAX_HISTORY:]
    follow_up = bool(previous) and needs_context(text)
    context = previous[-1] if follow_up else ""
    asked_text = text
    if follow_up and (swapped := _swap_topic(context, text)):
        # "And on Taiwan?" after "What does the statement say about the South China Sea?" asks
        # the earlier question about a new subject: the old subject must not be searched for.
        asked_text, context, follow_up = swapped, "", False
    sentences = _sentences(asked_text)
    asked = [s for s in sentences if s.rstrip().endswith("?")] or sentences[-1:]
    preamble = [s for s in sentences if s not in asked]
    pieces: list[str] = []
    for sentence in asked:
        for piece in (p.strip(" ,;") for p in _SPLIT.split(sentence) if p and p.strip(" ,;")):
            if not _ASKS.match(_core(piece)):
                preamble.append(piece)  # "Russia's invasion overrode …; what steps …?" asks one thing
            elif pieces and len(_content(piece)) < _MIN_PART_WORDS:
                pieces[-1] = f"{pieces[-1]} {piece}"  # "… is that still the case?" adds nothing to ask
            else:
                pieces.append(piece)
    parts = [_part(p, idf) for p in pieces] or [_part(asked_text, idf)]
    if len(parts) > 1:
        # Words of the whole question that a part lacks ("… in 2025, and which fields …") still
        # tell where to look: each part keeps them at a reduced weight.
        shared = {w: idf(w) for w in _content(" ".join(pieces))}
        for part in parts:
            for w, weight in shared.items():
                part.weights.setdefault(w, HISTORY_WEIGHT * weight)
    if follow_up and not _ASKS.match(_core(asked_text)):
        # "And his Chilean counterpart?" after "Who is …?" asks for the same kind of thing.
        inherited = answer_type(context)
        for part in parts:
            if part.answer_type == OTHER:
                part.answer_type = inherited
                part.unit = figure_unit(context) if inherited == NUMBER else part.unit
                # The follow-up is nothing but its subject, names included: what is asked for
                # stands next to them ("Chilean President Ana Ruiz").
                part.focus = {t: w for t, w in part.weights.items() if t in part.names or t in part.focus}
    extra: dict[str, float] = {}
    for sentence in preamble:
        extra.update({w: PREAMBLE_WEIGHT * idf(w) for w in _content(sentence)})
    if follow_up:
        extra.update({w: HISTORY_WEIGHT * idf(w) for w in _content(context)})
    for part in parts:
        for w, weight in extra.items():
            part.weights.setdefault(w, weight)
    query = f"{context} {asked_text}".strip() if follow_up else asked_text
    names = _names(_LEAD.sub("", asked_text))
    if follow_up:
        names |= _names(_LEAD.sub("", context))
    current = bool(_CURRENT.search(text)) or bool(_STATUS.match(_core(asked_text)))
    return Question(asked_text, query, parts, names, current, current or bool(_TEMPORAL.search(text)), follow_up,
                    context)


def _compounds_by_their_parts(idf):
    """A hyphenated compound no document writes ("infrastructure-law") weighs nothing of its own:
    its parts, which the tokenizer also yields, say what it means. Counted as the rarest word,
    it would outweigh everything else the question asks."""
    rarest = idf("\x00")  # a token no document holds

    def weigh(token: str) -> float:
        value = idf(token)
        return 0.0 if value >= rarest and re.search(r"[-']", token) else value
    return weigh


def _swap_topic(previous: str, follow_up: str) -> str | None:
    """The earlier question with its subject replaced, for "and about X?" / "what about X?"."""
    m = _NEW_TOPIC.match(follow_up)
    if not m:
        return None
    topic = m.group("topic").strip()
    # The subject follows "about"; after "on" or "for" only if it is a short end of the question
    # ("what did they say on AI?"), not in "on track to replace all its pipes".
    anchors = list(_TOPIC_MARKER.finditer(previous)) or [
        a for a in _TAIL_MARKER.finditer(previous) if len(previous[a.end():].split()) <= _MAX_TAIL_WORDS]
    if anchors:
        return f"{previous[:anchors[0].end()]}{topic}?"
    names = [n for n in _NAME_PHRASE.finditer(previous) if n.start() > 0]
    if topic[:1].isupper() and len(names) == 1:
        # "What about Port Ellis?" after "By when is Harbourton, Maine on track …?": the place,
        # party or person asked about changes, and the question stays. Of two names ("troops
        # of the U.S. in Korea") which one gives way is not known: the question is then read
        # with the earlier one instead.
        return f"{previous[:names[0].start()]}{topic}{previous[names[0].end():]}"
    return None


def _names(text: str) -> set[str]:
    """The stemmed words of the text's capitalised words, but for those that are not names."""
    return {t for m in _CAPITALISED.finditer(text) for t in tokenize(m.group(0))} - _NOT_NAMES


def _content(text: str) -> list[str]:
    return [t for t in tokenize(_FRAMING.sub(" ", text)) if t not in _FURNITURE]


def _core(text: str) -> str:
    """The question without its lead-in: "and", "according to the report,", "At the summit," …"""
    core = _LEAD.sub("", text).strip()
    if not _ASKS.match(core):
        m = re.match(r"[^,?]{1,60},\s*", core) or _LEAD_PHRASE.match(core)
        if m and _ASKS.match(core[m.end():]):
            core = core[m.end():]
    return core


# A lead-in without its comma: "Under current law when are …", "In 2025 how much …".
_LEAD_PHRASE = re.compile(r"(?:under|in|at|during|after|before|since|for|by|from|on|with)\s[^,?]{1,50}?\s"
                          r"(?=(?:what|which|who|whom|whose|when|where|why|how)\b)", re.I)


_YEARS = re.compile(r"(?<![\w$.])(?:FY|MY|CY)?(" + YEAR + r")"
                    r"(?:\s?(?:-|–|to|through)\s?(?:FY|MY)?(" + _YEAR_END + r"))?(?!\d|[,.]\d|s\b)")


def years_in(text: str) -> set[int]:
    """The years a text speaks of, ranges spelt out ("model years 2027-2031", "FY2025–26")."""
    found: set[int] = set()
    for m in _YEARS.finditer(text):
        first, last = int(m.group(1)), m.group(2)
        last = first if not last else int(last) if len(last) == 4 else first // 100 * 100 + int(last)
        found.update(range(first, last + 1) if 0 <= last - first <= 50 else (first,))
    return found


def answer_type(text: str) -> str:
    lead = _core(text)
    for kind, pattern in _TYPES:
        if pattern.search(lead):
            return kind
    return OTHER


def _part(text: str, idf) -> Part:
    text = text.strip(" ,;")
    surface = {}
    for word in re.findall(r"[^\W_]+(?:[-'’][^\W_]+)*", text):
        for t in _content(word):
            surface.setdefault(t, word)
    names = _names(_LEAD.sub("", text)[1:])
    weights = {w: idf(w) for w in _content(text)}
    kind = answer_type(text)
    # A year places what is asked in time ("the ambassador in 2025"); a sentence that only
    # shares the year does not speak to what is asked.
    focus = {w: v for w, v in weights.items() if w not in names and w not in _KIND_WORDS.get(kind, ())
             and not _YEAR.fullmatch(w) and w not in _NOW_WORDS}
    unit = figure_unit(text) if kind == NUMBER else date_unit(text) if kind == DATE else name_unit(text)
    if IDENT in unit:  # "which public law", "what bill number": the number itself answers them
        focus = {w: v for w, v in focus.items() if w not in tokenize(_IDENT_ASKED.search(_core(text)).group(0))}
    period = frozenset(y for span in _ASKED_YEAR.findall(text) for y in years_in(span))
    instance_of = ""
    if kind in (NAME, PLACE) and (m := _WHICH_KIND.match(_core(text))):
        stems = tokenize(m.group(1))
        instance_of = stems[0] if len(stems) == 1 and stems[0] in focus else ""
    return Part(text, weights, kind, surface, focus, names, unit, label_asked(text), period, instance_of)


_WHICH_KIND = re.compile(_PREPOSED + r"(?:what|which) (?:(?:two|three|four|five|six|\d+) )?([^\W\d_]+)", re.I)


TITLE, HEADING, SUBTITLE = "title", "heading", "subtitle"
CAPTION, DISCLAIMER = "caption", "disclaimer"  # the passages chunking.STANDALONE_KINDS labels
DATELINE = "dateline"  # "Published on …", "Updated …" or the date alone, under a page's title
_DOCUMENT = (r"(?:article|piece|analysis|primer|explainer|report|brief|statement|document|fact sheet|commentary|"
             r"paper|post|page|op-ed|essay|memo|note|study|release|publication|story|plan|strategy|framework|"
             r"roadmap|guidance|bill)")
_LABELS = [
    (SUBTITLE, re.compile(r"\b(?:sub-?title|sub-?head(?:ing|line)?|standfirst|strapline)\b|\b(?:line|sentence|summary|"
                          r"text|blurb|tagline)\b.{0,30}\b(?:under|beneath|below)\b.{0,40}\b(?:head(?:line|ing)|title)\b",
                          re.I)),
    # Asked for, not used to point ("under the heading 'Partners', how many …").
    (HEADING, re.compile(r"\b(?:what|which)(?: is| was|'s| are)? (?:the )?(?:(?:section |part )?head(?:ing|er)s?|"
                         r"(?:section|part|chapter) (?:title|name)|(?:title|name) of (?:the |its |this |that )?"
                         r"(?:section|part|chapter))\b|\bhead(?:ing|er) (?:of|for|over|above)\b"
                         r"|\b(?:what|how) is (?:section|part|chapter) [^?]{0,20}\b(?:called|titled|entitled|named)\b",
                         re.I)),
    # A photo's caption and credit, a page's disclaimer: small passages that match no question
    # in meaning ("who took the photo?"), found by what they are.
    # "Image" only where it is a picture on the page ("the image at the top", "who is the image
    # credited to"), not "what image of the alliance does the statement give".
    (CAPTION, re.compile(r"\b(?:photo(?:graph)?s?|pictures?|pictured|captions?)\b(?!-)"
                         r"|\bimages?\b(?=[^?]{0,40}\b(?:shows?|depicts?|credit(?:ed)?|taken|at the top|above)\b)"
                         r"|\b(?:figure|fig\.|chart|map|exhibit) \d+\b"
                         # A table's caption, source or notes, not what the table holds.
                         r"|\b(?:caption|source|notes?)\b[^?]{0,30}\btable \d+\b"
                         r"|\btable \d+['’]s (?:caption|source|notes?)\b", re.I)),
    (DISCLAIMER, re.compile(r"\bdisclaimers?\b", re.I)),
    # When the document itself came out, not when something in it happened.
    (DATELINE, re.compile(r"^when (?:was|were|is) [^?]{0,60}?\b" + _DOCUMENT
                          + r"s?\b[^?]{0,40}?\b(?:first |last )?(?:published|updated|released|issued|posted|dated)\b"
                          r"|\b(?:publication|release) date\b|\bdate ?lines?\b", re.I)),
    (TITLE, re.compile(r"\bheadline\b|\btitle of (?:the |this |that |its )?(?:[\w.-]+ ){0,5}" + _DOCUMENT + r"\b"
                       r"|\bwhat (?:is|was) (?:the |this |that |its )?(?:[\w.-]+ ){0,5}" + _DOCUMENT
                       + r" (?:called|titled|entitled)\b", re.I)),
]


def label_asked(text: str) -> str:
    """Whether the part asks for the document's title, a section's heading, the line under the
    title (not a person's title: "what title does the minister hold"), a photo's caption or the
    disclaimer."""
    return next((kind for kind, pattern in _LABELS if pattern.search(text)), "")


MONEY, PERCENT, MEASURE = "\x00money", "\x00percent", "\x00measure"  # MEASURE: the unit must be written
DAY = "\x00day"  # a date to the day: "on what date", not "in what year"
IDENT = "\x00ident"  # a bill's, law's or report's number: "H.R. 7567", "P.L. 115-334", "R48363"
_IDENT_ASKED = re.compile(r"\b(?:bill|(?:public )?law|report|resolution|order|case|docket|regulation|rule|file|product|serial|"
                          r"contract|account|form)\s+(?:number|no\.?)|\bnumber of the (?:bill|law|report|resolution|order)\b"
                          r"|^(?:what|which) public laws?\b", re.I)
PERSON = "\x00person"  # a person's name: "who chairs the committee", not the committee's
# Questions whose answer is a person: a role only a person holds, or what only a person does.
_PERSON = re.compile(r"^(?:what|which) " + _PEOPLE + r"\b"
                     r"|^who (?:is|was|are|were|will be|would be) (?:the |its |their |his |her )?(?:[\w.'’-]+ ){0,3}?"
                     r"(?:administrator|secretary|director|chair(?:man|woman|person)?|president|prime minister|"
                     r"minister|governor|mayor|senator|representative|congressman|congresswoman|ambassador|"
                     r"commissioner|ceo|chief executive|spokes(?:person|man|woman)|speaker|sponsor|author)s?\b"
                     r"|^who (?:chairs?|chaired|introduced|sponsored|co-?sponsored|authored)\b", re.I)
_MONEY = re.compile(r"\b(?:how much (?:money|funding|did .{0,40} (?:cost|spend|pay|invest|receive|get|give|budget|raise))"
                    r"|(?:cost|costs|price|budget|budgeted|funding|funded|spend|spent|spending|invest|investment|"
                    r"grant|grants|dollars?|paid|pay|salary|fee|fees|fine|loan|appropriat\w*)\b)", re.I)
_PERCENT = re.compile(r"\b(?:percent(?:age)?|share|proportion|rate|ratio|fraction)\b", re.I)
# Where the thing counted ends: at the verb or preposition after it.
_THING_END = (r"(?=\s+(?:are|is|was|were|do|does|did|has|have|had|will|would|can|could|should|in|of|for|to|on|at|by|"
              r"so|that|which|still)\b|[?,.]|$)")
_HOW_MANY = re.compile(r"\bhow many\s+((?:[\w-]+\s+){0,2}?[\w-]+?)" + _THING_END, re.I)
# "How much land / water / marshland": a quantity of that thing, not money ("how much
# American Rescue Plan money" is money all the same).
_HOW_MUCH_OF = re.compile(r"\bhow much\s+(?!(?:more|less|further|longer|of|into|in|for|from|per|on|to|with|each|is|"
                          r"was|are|were|do|does|did|has|have|had|will|would|can|could|should|may|might|must|it|they|"
                          r"this|that|these|those|he|she|we|you|the|a|an|its|their)\b)((?:[\w-]+\s+){0,4}?[\w-]+?)"
                          + _THING_END, re.I)
_IN_UNIT = re.compile(r"\bin (parts per (?:billion|million)|ppb|ppm|percent|dollars|euros|years|months|days|hours|"
                      r"kilometers|kilometres|miles|tons|tonnes|megawatts|gigawatts)\b", re.I)


def figure_unit(text: str) -> frozenset[str]:
    """What a figure asked for must be a figure of: counted things, money, a share, a unit, or a
    document's number."""
    if _IDENT_ASKED.search(_core(text)):
        return frozenset({IDENT})
    if m := _IN_UNIT.search(text):
        unit = m.group(1).lower()
        if unit == "percent":
            return frozenset({PERCENT})
        if unit in ("dollars", "euros"):
            return frozenset({MONEY})
        return frozenset(tokenize(unit)) | {MEASURE} | ({"ppb"} if "billion" in unit else {"ppm"} if "million" in unit
                                                        else set())
    if m := _HOW_MANY.search(text):
        return frozenset(tokenize(m.group(1)))  # "how many lead pipes": a figure of lead pipes (or lines)
    if _PERCENT.search(text):
        return frozenset({PERCENT})
    if re.search(r"\bby how much\b", text, re.I):
        return frozenset()  # a change, in money, a share or a count: "by 85 percent", "by $2 billion"
    if (m := _HOW_MUCH_OF.search(text)) and not re.search(r"\b(?:money|cash|funds?|dollars?)\b|" + _MONEY.pattern,
                                                          m.group(1), re.I):
        return frozenset(tokenize(m.group(1)))
    if re.search(r"\bhow much\b", text, re.I) or _MONEY.search(text):
        return frozenset({MONEY})
    return frozenset()


def name_unit(text: str) -> frozenset[str]:
    """PERSON when the name asked for can only be a person's."""
    return frozenset({PERSON}) if _PERSON.search(_core(text)) else frozenset()


_ON_DAY = re.compile(r"\b(?:what|which|exact|precise|specific)\s+(?:date|day)\b", re.I)


def date_unit(text: str) -> frozenset[str]:
    """DAY when a date is asked for to the day ("on what date", "the exact day"): a month or a year
    does not answer it then; "when" takes either."""
    return frozenset({DAY}) if _ON_DAY.search(text) else frozenset()


# "Pretend I'm new to this: what does ROK stand for?": what comes before the colon sets the
# question up, like a sentence of its own.
_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+(?=[A-Z\"“'‘(])|(?<=:)\s+(?=(?i:" + _ASKS.pattern + "))")


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_BREAK.split(text) if p.strip()]
    return parts or [text]
