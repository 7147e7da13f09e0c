"""The index's ranking on its own (``KnowledgeBase``): results spread over documents, and the profile boost.
The quality floors over the labelled questions are in tests/evals/test_retrieval.py."""

from __future__ import annotations

import pytest

from chains.retrieval.knowledge_base import KnowledgeBase


@pytest.fixture(scope="module")
def kb(indexed_kb, settings) -> KnowledgeBase:
    return KnowledgeBase.open(settings.chroma_dir)


def test_results_are_diverse_across_documents(kb):
    passages = kb.search("What are the side effects of ribociclib?", k=5, per_doc=2)
    per_doc: dict[str, int] = {}
    for passage in passages:
        per_doc[passage.doc_id] = per_doc.get(passage.doc_id, 0) + 1
    assert max(per_doc.values()) <= 2 and len(per_doc) >= 3
    assert passages[0].doc_id == "ribociclib"


def test_profile_boost_prefers_documents_that_apply_to_the_patient(kb):
    query = "which targeted drugs are used for my type of breast cancer"
    plain, _ = kb.rank_documents(query)
    boosted, _ = kb.rank_documents(query, profile_tags={"all", "HER2+"})
    rank = {doc: i for i, (doc, _, _) in enumerate(plain)}
    rank_boosted = {doc: i for i, (doc, _, _) in enumerate(boosted)}
    assert rank_boosted["her2-targeted-therapy"] <= rank["her2-targeted-therapy"]
