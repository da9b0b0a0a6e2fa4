"""What readers tell the knowledge base: "Was this helpful?" votes (once per visitor), the
statistics agents read from them, and deflection: suggested articles opened from the
new-ticket form, and whether the visitor then opened their ticket or not.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound, PermissionDenied
from ..models import KbArticle, KbSuggestion, KbViewCount, KbVote, SuggestionOutcome
from ..permissions import Actor, article_visibility
from ..schemas import parse
from ..schemas_kb import (
    KbArticleStats,
    KbDeflectionCounts,
    KbFeedbackComment,
    KbSuggestionOpened,
    KbSuggestionOut,
    KbVoteCreate,
    KbVoteOut,
)
from .base import Service

# An opened suggestion with no ticket after this long counts as deflected: most visitors
# whose question the article answered simply leave, and say nothing.
ABANDONED_AFTER = timedelta(hours=1)
# A ticket opened this long after reading a suggestion still counts as converted.
CONVERSION_WINDOW = timedelta(days=1)


def visitor_key(actor: Actor, given: str) -> str:
    """Whom a vote belongs to: a logged-in user by their account (whatever cookie they bring),
    anybody else by the key the portal keeps for them (a cookie)."""
    return f"user:{actor.user_id}" if actor.user_id is not None else f"visitor:{given}"


class KbVoteService(Service):
    def vote(
        self,
        actor: Actor,
        article_id: int,
        data: KbVoteCreate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> KbVoteOut:
        """Record "Was this helpful?" for an article `actor` may read. The first vote of a
        visitor stands: a second one changes nothing (`counted=False`). A comment is kept
        with a "No" only."""
        values = parse(KbVoteCreate, data, fields)
        key = visitor_key(actor, values.visitor_key)
        with self.transaction() as uow:
            session = uow.session
            _require_readable(session, actor, article_id)
            earlier = session.scalar(
                select(KbVote.helpful).where(
                    KbVote.article_id == article_id, KbVote.visitor_key == key
                )
            )
            if earlier is not None:
                return KbVoteOut(counted=False, helpful=earlier)
            vote = KbVote(
                article_id=article_id,
                visitor_key=key,
                helpful=values.helpful,
                comment=(values.comment or None) if not values.helpful else None,
                user_id=actor.user_id,
                created_at=self.helpdesk.clock.now(),
            )
            try:
                with session.begin_nested():
                    session.add(vote)
            except IntegrityError:  # the same visitor, twice at once: the other one won
                return KbVoteOut(counted=False, helpful=values.helpful)
            return KbVoteOut(counted=True, helpful=values.helpful)

    def stats(
        self,
        actor: Actor,
        *,
        article_id: int | None = None,
        article_ids: Sequence[int] | None = None,
        limit: int = 100,
    ) -> builtins.list[KbArticleStats]:
        """Views and votes per article, the most read first (staff only); `article_ids` for the
        articles one page of a list shows, whatever their rank."""
        _require_staff(actor)
        yes = func.coalesce(func.sum(case((KbVote.helpful.is_(True), 1), else_=0)), 0)
        no = func.coalesce(func.sum(case((KbVote.helpful.is_(False), 1), else_=0)), 0)
        votes = (
            select(KbVote.article_id, yes.label("yes"), no.label("no"))
            .group_by(KbVote.article_id)
            .subquery()
        )
        views = func.coalesce(KbViewCount.count, 0)
        statement = (
            select(KbArticle.id, KbArticle.title, KbArticle.status, views, votes.c.yes, votes.c.no)
            .outerjoin(KbViewCount, KbViewCount.article_id == KbArticle.id)
            .outerjoin(votes, votes.c.article_id == KbArticle.id)
            .order_by(views.desc(), KbArticle.id)
            .limit(min(max(1, limit), 1000))
        )
        if article_id is not None:
            statement = statement.where(KbArticle.id == article_id)
        if article_ids is not None:
            statement = statement.where(KbArticle.id.in_(list(article_ids)))
        with self.reading() as uow:
            rows = uow.session.execute(statement).all()
        return [
            KbArticleStats(
                article_id=id_,
                title=title,
                status=status.value,
                views=int(seen or 0),
                helpful_yes=int(y or 0),
                helpful_no=int(n or 0),
                helpful_percent=round(100 * int(y or 0) / (int(y or 0) + int(n or 0)), 1)
                if (y or n)
                else None,
            )
            for id_, title, status, seen, y, n in rows
        ]

    def comments(
        self, actor: Actor, article_id: int, *, limit: int = 100
    ) -> builtins.list[KbFeedbackComment]:
        """What readers wrote with their "No", newest first (staff only)."""
        _require_staff(actor)
        with self.reading() as uow:
            rows = uow.session.execute(
                select(KbVote.article_id, KbVote.comment, KbVote.created_at)
                .where(KbVote.article_id == article_id, KbVote.comment.is_not(None))
                .order_by(KbVote.created_at.desc(), KbVote.id.desc())
                .limit(min(max(1, limit), 1000))
            )
            return [
                KbFeedbackComment(article_id=a, comment=c or "", created_at=at) for a, c, at in rows
            ]


class KbDeflectionService(Service):
    def opened(
        self,
        actor: Actor,
        data: KbSuggestionOpened | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> KbSuggestionOut:
        """A visitor opened an article suggested for the ticket subject they were typing.
        Opening it again before anything is decided records nothing new."""
        values = parse(KbSuggestionOpened, data, fields)
        with self.transaction() as uow:
            session = uow.session
            _require_readable(session, actor, values.article_id)
            row = session.scalar(
                select(KbSuggestion).where(
                    KbSuggestion.article_id == values.article_id,
                    KbSuggestion.visitor_key == values.visitor_key,
                    KbSuggestion.outcome == SuggestionOutcome.OPENED,
                )
            )
            if row is None:
                row = KbSuggestion(
                    article_id=values.article_id,
                    visitor_key=values.visitor_key,
                    subject=values.subject,
                    outcome=SuggestionOutcome.OPENED,
                    opened_at=self.helpdesk.clock.now(),
                )
                session.add(row)
                session.flush()
            return _suggestion_out(row)

    def deflected(self, actor: Actor, visitor_key: str) -> int:
        """The visitor says an article answered them ("I don't need to open a ticket"): their
        undecided suggestions are deflections. Returns how many were marked."""
        return self._decide(
            visitor_key, SuggestionOutcome.DEFLECTED, None, (SuggestionOutcome.OPENED,)
        )

    def converted(self, actor: Actor, visitor_key: str, ticket_id: int) -> int:
        """The visitor opened ticket `ticket_id` after all: their suggestions of the last day
        (deflected or not) are conversions. Returns how many were marked."""
        with self.reading() as uow:
            self.helpdesk.tickets.seen(uow.session, actor, ticket_id)  # NotFound if not theirs
        return self._decide(
            visitor_key,
            SuggestionOutcome.CONVERTED,
            ticket_id,
            (SuggestionOutcome.OPENED, SuggestionOutcome.DEFLECTED),
        )

    def counts(self, actor: Actor) -> KbDeflectionCounts:
        """For the agent dashboard: deflections today (UTC) and in the last 7 days, with the
        conversions and suggestions opened in those 7 days (staff only). One statement."""
        _require_staff(actor)
        now = self.helpdesk.clock.now()
        today = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
        week = now - timedelta(days=7)
        deflected = or_(
            KbSuggestion.outcome == SuggestionOutcome.DEFLECTED,
            and_(
                KbSuggestion.outcome == SuggestionOutcome.OPENED,
                KbSuggestion.opened_at < now - ABANDONED_AFTER,
            ),
        )
        converted = KbSuggestion.outcome == SuggestionOutcome.CONVERTED
        with self.reading() as uow:
            row = uow.session.execute(
                select(
                    _count(and_(deflected, KbSuggestion.opened_at >= today)),
                    _count(deflected),
                    _count(converted),
                    func.count(),
                ).where(KbSuggestion.opened_at >= week, KbSuggestion.opened_at <= now)
            ).one()
        return KbDeflectionCounts(
            deflected_today=int(row[0]),
            deflected_last_7_days=int(row[1]),
            converted_last_7_days=int(row[2]),
            opened_last_7_days=int(row[3]),
        )

    def _decide(
        self,
        visitor_key: str,
        outcome: SuggestionOutcome,
        ticket_id: int | None,
        undecided: tuple[SuggestionOutcome, ...],
    ) -> int:
        now = self.helpdesk.clock.now()
        with self.transaction() as uow:
            done = uow.session.execute(
                update(KbSuggestion)
                .where(
                    KbSuggestion.visitor_key == visitor_key,
                    KbSuggestion.outcome.in_(undecided),
                    KbSuggestion.opened_at >= now - CONVERSION_WINDOW,
                )
                .values(outcome=outcome, ticket_id=ticket_id, decided_at=now)
                .execution_options(synchronize_session=False)
            )
            return int(done.rowcount)  # type: ignore[attr-defined]

    def list(self, actor: Actor, *, limit: int = 100) -> builtins.list[KbSuggestionOut]:
        """The latest suggestions opened, newest first (staff only)."""
        _require_staff(actor)
        with self.reading() as uow:
            rows = uow.session.scalars(
                select(KbSuggestion)
                .order_by(KbSuggestion.opened_at.desc(), KbSuggestion.id.desc())
                .limit(min(max(1, limit), 1000))
            ).all()
            return [_suggestion_out(r) for r in rows]


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _require_readable(session: Any, actor: Actor, article_id: int) -> None:
    found = session.scalar(
        select(KbArticle.id).where(KbArticle.id == article_id, article_visibility(actor))
    )
    if found is None:
        raise NotFound(f"no article {article_id}")


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("knowledge-base statistics are for staff")


def _suggestion_out(row: KbSuggestion) -> KbSuggestionOut:
    return KbSuggestionOut(
        id=row.id,
        article_id=row.article_id,
        visitor_key=row.visitor_key,
        subject=row.subject,
        outcome=row.outcome.value,
        ticket_id=row.ticket_id,
        opened_at=row.opened_at,
        decided_at=row.decided_at,
    )
