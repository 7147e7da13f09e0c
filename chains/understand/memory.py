"""Conversation memory: LangChain messages per session, trimmed by tokens, plus what the patient is talking
about and the clarification or triage question waiting for a reply. ``followups`` uses it to turn follow-ups
("what about its side effects?") into standalone questions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    messages_from_dict,
    messages_to_dict,
    trim_messages,
)

from chains.retrieval.tokens import count_tokens
from chains.understand.profile.facts import PatientProfile

RECENT_USER_MESSAGES = 8


@dataclass
class PendingClarification:
    """A message held back while OncoGuide asks what the patient meant."""

    message: str
    kind: str
    fragment: str = ""
    candidates: list[str] = field(default_factory=list)


@dataclass
class ConversationState:
    """Everything one conversation remembers; serialisable for persistence and resume."""

    session_id: str
    messages: list[BaseMessage] = field(default_factory=list)
    standalone_questions: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)  # entities discussed, most recent last
    profile: PatientProfile = field(default_factory=PatientProfile)
    pending: PendingClarification | None = None
    pending_triage: dict[str, str] | None = None  # the message held back while a triage question is asked
    # The patient's last messages, untrimmed: red-flag context ("hopeless" two turns ago) must survive
    # even when long answers push them out of the token-trimmed memory.
    recent_user_messages: list[str] = field(default_factory=list)
    # The cancer type this conversation is about (a chains/cancer_types.yaml id): the last one the
    # patient named or chose. Not a fact about the patient: a carer asks about someone else's cancer.
    cancer_focus: str | None = None

    def remember_turn(self, user_text: str, reply_text: str, standalone: str | None, max_tokens: int) -> None:
        self.recent_user_messages = [*self.recent_user_messages, user_text][-RECENT_USER_MESSAGES:]
        self.messages.append(HumanMessage(user_text))
        self.messages.append(AIMessage(reply_text))
        if standalone:
            self.standalone_questions.append(standalone)
        self.messages = trim_history(self.messages, max_tokens)
        self.standalone_questions = self.standalone_questions[-10:]

    def note_focus(self, entities: list[str]) -> None:
        for entity in entities:
            if entity in self.focus:
                self.focus.remove(entity)
            self.focus.append(entity)
        self.focus = self.focus[-8:]

    def user_texts(self) -> list[str]:
        return [str(m.content) for m in self.messages if isinstance(m, HumanMessage)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "messages": messages_to_dict(self.messages),
            "standalone_questions": list(self.standalone_questions),
            "focus": list(self.focus),
            "profile": self.profile.to_dict(),
            "pending": None if self.pending is None else vars(self.pending).copy(),
            "pending_triage": None if self.pending_triage is None else dict(self.pending_triage),
            "recent_user_messages": list(self.recent_user_messages),
            "cancer_focus": self.cancer_focus,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationState:
        pending = data.get("pending")
        return cls(
            session_id=data["session_id"],
            messages=messages_from_dict(data.get("messages", [])),
            standalone_questions=list(data.get("standalone_questions", [])),
            focus=list(data.get("focus", [])),
            profile=PatientProfile.from_dict(data.get("profile", {})),
            pending=PendingClarification(**pending) if pending else None,
            pending_triage=data.get("pending_triage"),
            recent_user_messages=list(data.get("recent_user_messages", [])),
            cancer_focus=data.get("cancer_focus"),
        )


def trim_history(messages: list[BaseMessage], max_tokens: int) -> list[BaseMessage]:
    """Keep the most recent messages that fit in ``max_tokens`` (whole human/AI pairs)."""
    return trim_messages(
        messages,
        max_tokens=max_tokens,
        token_counter=lambda msgs: sum(count_tokens(str(m.content)) + 4 for m in msgs),
        strategy="last",
        start_on="human",
        allow_partial=False,
    )


@dataclass(frozen=True)
class Rewrite:
    standalone: str
    referent: str | None  # the entity the follow-up was resolved to, if any
    needs_referent: bool  # the message refers to something the conversation does not contain
