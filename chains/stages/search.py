"""The search stages: passages for the standalone question, whether the library covers it, and the question
back when the answer depends on a cancer type nobody has named."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chains.cancer_types import ANY, cancer_types
from chains.prompts import load_prompt
from chains.retrieval.knowledge_base import RELEVANT_SIMILARITY
from chains.safety import HEALTH_TERMS
from chains.stages.replies import STARTER_QUESTIONS, reply, which_cancer_question
from chains.stages.turn import Turn
from chains.types import Reply
from chains.understand.memory import PendingClarification

if TYPE_CHECKING:
    from chains.pipeline import OncoGuide

LIKELY_OFF_TOPIC = 0.5  # when the library has nothing, below this the message is taken as care wording it lacks
GENERAL_PAGE_SHARE = 0.7  # one cancer's best page scoring under this share of a page for every cancer: no question
WHICH_CANCER_DOCUMENTS = 8  # the best documents looked at for pages about different cancers
AMBIGUOUS_SCORE = 0.8  # a page about another cancer scoring this share of the best page's makes the type matter


def steered_query(question: str, cancer_type: str | None) -> str:
    """The search text: a known cancer the question does not name is added ("… (prostate cancer)"); the name of
    a cancer the library lacks is left out, since only its general pages can answer."""
    cancer = cancer_types().get(cancer_type or "")
    if cancer is None:
        return question
    if not cancer.in_library:
        return cancer.signal.sub("cancer", question)
    return question if cancer.signal.search(question) else f"{question} ({cancer.name})"


async def retrieve(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Passages for the standalone question, and the one decision whether the library covers it."""
    assert turn.scope is not None
    hooks = turn.hooks
    if hooks.on_retrieval_start:
        await hooks.on_retrieval_start(turn.standalone)
    tags = turn.state.profile.applies_to_tags()
    named = turn.cancer_type != (guide.settings.default_cancer_type or None)  # the deployment's type only boosts
    query = steered_query(turn.standalone, turn.cancer_type) if named else turn.standalone
    turn.passages = await asyncio.to_thread(guide.kb.search, query, guide.settings.top_k, tags, 2, turn.cancer_type)
    if hooks.on_retrieval_done:
        await hooks.on_retrieval_done(turn.standalone, turn.passages)
    turn.relevant = guide.kb.is_relevant(query, turn.passages)
    weak_match = turn.relevant and max(p.similarity for p in turn.passages) < RELEVANT_SIMILARITY
    if weak_match and not turn.history and turn.cancer_type in (None, guide.settings.default_cancer_type or None):
        # Only a shared word ("port my mobile number", "port wine") ties an opening message to the library:
        # the on-topic classifier decides whether it is about cancer care at all.
        turn.relevant = guide.topic.off_topic_probability(turn.text) < LIKELY_OFF_TOPIC
    missing = cancer_types().get(turn.cancer_type or "")
    if missing is not None and not missing.in_library and turn.relevant:
        # Only the general pages can answer about a cancer the library lacks, and only on a named treatment,
        # medicine or symptom ("radiation side effects"): "what is thyroid cancer" gets the note and where to
        # read, not filler.
        turn.relevant = bool(guide.vocabulary.find_entities(query))
    clear_care = guide.vocabulary.care_wording(turn.text) == "clear"  # a cancer, a medicine, an oncology word
    if turn.relevant or clear_care or HEALTH_TERMS.search(turn.text) or turn.scope.advice_limits or turn.cancer_type:
        return None  # a cancer the library lacks still gets its note and where to read, not "out of scope"
    if guide.topic.off_topic_probability(turn.text) < LIKELY_OFF_TOPIC:
        return None  # care wording the library lacks ("what is TACE"): "I could not find that", not "out of scope"
    body = load_prompt("out_of_scope.md")
    return reply(guide.settings, turn, "out_of_scope", body, remember=turn.text, suggestions=STARTER_QUESTIONS[:3])


async def which_cancer(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Ask which cancer, with buttons, when the answer depends on it and nothing says which: no cancer is known,
    the question names no medicine or test, and the best page about one cancer (not far below any page written for
    every cancer) has a page about another cancer scoring close to it (``AMBIGUOUS_SCORE``)."""
    if turn.cancer_type is not None or not turn.relevant or guide.vocabulary.find_entities(turn.standalone):
        return None
    documents, _ = await asyncio.to_thread(guide.kb.rank_documents, turn.standalone)
    ranked = [(guide.kb.cancer_type_of(doc_id), score) for doc_id, score, _ in documents[:WHICH_CANCER_DOCUMENTS]]
    specific = [(t, score) for t, score in ranked if t != ANY]
    if not specific or specific[0][1] < GENERAL_PAGE_SHARE * ranked[0][1]:
        return None  # a page written for every cancer answers it far better than any one cancer's page
    top_type, top_score = specific[0]
    close = [t for t, score in ranked[1:] if t not in (ANY, top_type) and score >= AMBIGUOUS_SCORE * top_score]
    if not close:
        return None
    seen = [t for t in (cancer_types().get(i) for i in dict.fromkeys([top_type, *close])) if t is not None]
    text, options = which_cancer_question(seen)
    turn.state.pending = PendingClarification(turn.text, "cancer_type", "", options)
    return reply(guide.settings, turn, "clarification", text, remember=turn.text, options=options)
