"""An escrow entry on PostgreSQL: one call of a function in the database, so one round trip
and (outside a caller's transaction) one commit.

``escrow_entry_file`` (installed by migration escrow 0005) does in the database what
``entries._save`` does on SQLite, in the same order and with the same locks:

1. refuse if the author would hold more than the active limit of identifiers (one entry
   of an author at a time: a lock on their owner tag until the transaction ends);
2. take the platform's count of the evaluations made for the entry (``ratelimit_consume``);
3. insert the entry; for each share, its tags in sorted order (two entries naming the same
   people wait for each other instead of deadlocking): make or lock the tag's row in one
   upsert, insert the share, and with the row locked read the tag's match or count its
   distinct counting authors, making the match when they reach the tag's threshold (an
   existing match is marked unopened again);
4. if any match needs the advocates' attention, queue their notice, its payload sealed
   beforehand to a random id the row keeps (``tasks.task_sealed_ahead``);
5. append one ``escrow.entry_added`` event whatever happened, through ``ledger_append_event``,
   writing its references' canonical JSON itself (the match ids are known only here).

It refuses by returning ``active`` or ``rate`` before writing anything. The Python steps it
mirrors stay the only ones on SQLite; tests/escrow/test_filing.py runs both on the same
submissions and compares every row they leave and the ledger they write.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection

from chorus.escrow import evaluation
from chorus.ledger.append import event_frame
from chorus.web import ratelimit, tasks

if TYPE_CHECKING:
    from chorus.escrow.models import Entry

ACTION = "escrow.entry_added"
NOTICE = "escrow.match_notice"


def in_database() -> bool:
    return connection.vendor == "postgresql"


def file_entry(
    entry: Entry,
    tags: Sequence[bytes],
    sealed: Sequence[bytes],
    *,
    k: int,
    member_id: object,
    evaluations: int,
    actor: str,
) -> str:
    """``filed``, ``told`` (a match needs the advocates' attention; they are told), or a
    refusal that wrote nothing: ``active`` or ``rate``. ``tags`` in sorted order."""
    chain, payload_hash, before, after = event_frame(
        organization_id=entry.organization_id, actor=actor, action=ACTION, created_at=entry.created_at
    )
    sealed_to, notice = tasks.task_sealed_ahead(NOTICE, {"organization": str(entry.organization_id)})
    arguments: list[Any] = [
        entry.pk,
        entry.organization_id,
        bytes(entry.owner_tag),
        bytes(entry.for_owner),
        bytes(entry.released),
        entry.created_at,
        entry.counts,
        k,
        list(tags),
        list(sealed),
        [uuid.uuid4() for _ in tags],  # the id of each match this entry may make
        settings.CHORUS_ESCROW_ACTIVE_LIMIT,
        ratelimit.key_for(evaluation.SCOPE, str(member_id)),
        evaluations,
        settings.CHORUS_ESCROW_EVALUATIONS_PER_HOUR,
        evaluation.WINDOW,
        sealed_to,
        NOTICE,
        notice,
        chain,
        actor,
        ACTION,
        payload_hash,
        before,
        after,
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT escrow_entry_file({', '.join(['%s'] * len(arguments))})", arguments)
        return str(cursor.fetchone()[0])


FILE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION escrow_entry_file(
    p_entry uuid, p_organization uuid, p_owner_tag bytea, p_for_owner bytea, p_released bytea,
    p_at timestamptz, p_counts boolean, p_k int, p_tags bytea[], p_sealed bytea[], p_new_matches uuid[],
    p_active_limit int, p_limit_key text, p_evaluations int, p_limit int, p_window interval,
    p_task uuid, p_task_kind text, p_task_payload bytea,
    p_chain text, p_actor text, p_action text, p_payload text, p_before bytea, p_after bytea
) RETURNS text AS $$
DECLARE
    v_count int := cardinality(p_tags);
    v_active bigint;
    v_tag bigint;
    v_threshold int;
    v_match uuid;
    v_authors bigint;
    v_matches uuid[] := '{}';
    v_refs text;
BEGIN
    -- One author's entries one at a time, so two cannot both pass the active limit.
    PERFORM pg_advisory_xact_lock(hashtextextended(encode(p_owner_tag, 'hex'), 0));
    SELECT count(*) INTO v_active FROM escrow_share s JOIN escrow_entry e ON e.id = s.entry_id
        WHERE e.owner_tag = p_owner_tag AND e.withdrawn_at IS NULL;
    IF v_active + v_count > p_active_limit THEN
        RETURN 'active';
    END IF;
    IF p_evaluations > 0 AND NOT ratelimit_consume(p_limit_key, p_evaluations, p_limit, p_window, p_at) THEN
        RETURN 'rate';
    END IF;
    INSERT INTO escrow_entry (id, organization_id, owner_tag, for_owner, released, created_at, withdrawn_at, counts)
        VALUES (p_entry, p_organization, p_owner_tag, p_for_owner, p_released, p_at, NULL, p_counts);
    FOR i IN 1 .. v_count LOOP
        INSERT INTO escrow_tag (tag, threshold) VALUES (p_tags[i], p_k)
            ON CONFLICT (tag) DO UPDATE SET threshold = escrow_tag.threshold
            RETURNING id, threshold INTO v_tag, v_threshold;
        INSERT INTO escrow_share (entry_id, tag_id, sealed) VALUES (p_entry, v_tag, p_sealed[i]);
        SELECT id INTO v_match FROM escrow_match WHERE tag_id = v_tag;
        IF FOUND THEN
            UPDATE escrow_match SET opened_at = NULL WHERE id = v_match;
            v_matches := v_matches || v_match;
        ELSE
            SELECT count(DISTINCT e.owner_tag) INTO v_authors
                FROM escrow_share s JOIN escrow_entry e ON e.id = s.entry_id
                WHERE s.tag_id = v_tag AND e.counts;
            IF v_authors >= v_threshold THEN
                INSERT INTO escrow_match (id, organization_id, tag_id, created_at, opened_at)
                    VALUES (p_new_matches[i], p_organization, v_tag, p_at, NULL);
                v_matches := v_matches || p_new_matches[i];
            END IF;
        END IF;
    END LOOP;
    IF cardinality(v_matches) > 0 THEN
        INSERT INTO web_task (kind, payload_sealed, run_at, attempts, locked_until, done_at, failed_at,
                              last_error, once_key, sealed_to)
            VALUES (p_task_kind, p_task_payload, p_at, 0, NULL, NULL, NULL, '', NULL, p_task);
    END IF;
    -- The references' canonical JSON (keys sorted, no spaces; a uuid's order is its text's).
    SELECT '{"entry":"' || p_entry::text || '","identifiers":' || v_count::text || ',"matches":['
           || coalesce(string_agg('"' || m::text || '"', ',' ORDER BY m), '') || ']}'
        INTO v_refs FROM unnest(v_matches) AS m;
    PERFORM ledger_append_event(p_chain, p_at, p_actor, p_action, v_refs::jsonb, p_payload, p_before,
                                convert_to('","refs":' || v_refs || ',"seq":', 'UTF8'), p_after);
    RETURN CASE WHEN cardinality(v_matches) > 0 THEN 'told' ELSE 'filed' END;
END;
$$ LANGUAGE plpgsql
"""
DROP_FILE_FUNCTION = (
    "DROP FUNCTION IF EXISTS escrow_entry_file(uuid, uuid, bytea, bytea, bytea, timestamptz, boolean, int, bytea[],"
    " bytea[], uuid[], int, text, int, int, interval, uuid, text, bytea, text, text, text, text, bytea, bytea)"
)
