//! Fake-clock scenarios for the store: storage, expiry, limits and the reference's three bugs.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::convert::Infallible;
use core::time::Duration;

use engineio_proto::Instant;

use super::*;
use crate::adapter::{BroadcastOptions, Room, SocketId};

const PREFIX: &str = "srv-";

type Store = RecoveryStore<String, &'static str>;

fn new_store(config: RecoveryConfig) -> Store {
    RecoveryStore::new(config, PREFIX.to_string())
}

fn at(seconds: u64) -> Instant {
    Instant::from_millis(seconds * 1000)
}

/// Stores `text` for `opts`; the stored packet is `text@offset`, as the server appends it.
fn push(store: &mut Store, now: Instant, opts: &BroadcastOptions, text: &str) -> (u64, String) {
    store
        .push_with(now, opts, |offset| {
            Ok::<_, Infallible>((alloc::format!("{text}@{offset}"), text.len()))
        })
        .unwrap()
}

fn offset(packet: &str) -> &str {
    packet.split('@').nth(1).unwrap()
}

fn session(pid: &str, sid: &str, rooms: &[&str], cursor: Cursor) -> SessionToPersist<&'static str> {
    let mut all: Vec<Room> = vec![Room::new(sid)];
    all.extend(rooms.iter().map(|room| Room::new(room)));
    SessionToPersist {
        pid: pid.to_string(),
        sid: SocketId::new(sid),
        rooms: all,
        data: "data",
        cursor,
    }
}

fn restore_and_take(
    store: &mut Store,
    now: Instant,
    pid: &str,
    offset: Option<&str>,
) -> Result<Vec<String>, RestoreFailure> {
    let restored = store.restore(now, pid, offset)?;
    store.take_missed(restored.claim).map(|(missed, _)| missed)
}

#[test]
fn offsets_round_trip_and_refuse_anything_else() {
    for seq in [0, 1, 35, 36, 1295, u64::MAX] {
        assert_eq!(seq_of(PREFIX, &offset_of(PREFIX, seq)), Some(seq));
    }
    assert_eq!(offset_of(PREFIX, 36), "srv-10");
    for other in [
        "",
        "srv-",
        "other-1",
        "srv-01",
        "srv-A",
        "srv-zzzzzzzzzzzzzz",
        "connected",
    ] {
        assert_eq!(seq_of(PREFIX, other), None, "{other:?}");
    }
}

#[test]
fn a_session_gets_back_its_id_rooms_data_and_the_missed_packets_in_order() {
    let mut store = new_store(RecoveryConfig::default());
    let room = BroadcastOptions::new().to("r");
    let mut cursor = store.cursor();
    let (seq, first) = push(&mut store, at(0), &room, "one");
    cursor.sent(seq);
    store.persist(at(1), session("pid", "sid", &["r"], cursor));
    push(&mut store, at(2), &room, "two");
    push(
        &mut store,
        at(2),
        &BroadcastOptions::new().to("elsewhere"),
        "not-mine",
    );
    push(
        &mut store,
        at(3),
        &BroadcastOptions::new().to("sid"),
        "direct",
    );
    push(&mut store, at(3), &room.clone().except("sid"), "excluded");
    push(&mut store, at(4), &BroadcastOptions::new(), "everyone");

    let restored = store.restore(at(5), "pid", Some(offset(&first))).unwrap();
    assert_eq!(restored.sid.as_str(), "sid");
    assert_eq!(restored.data, "data");
    assert!(restored.rooms.contains(&Room::new("r")));
    let (missed, cursor) = store.take_missed(restored.claim).unwrap();
    let texts: Vec<&str> = missed
        .iter()
        .map(|p| p.split('@').next().unwrap())
        .collect();
    assert_eq!(texts, ["two", "direct", "everyone"]);
    assert_eq!(cursor.last, 6);
    // Restored once: gone from the store.
    assert_eq!(
        store
            .restore(at(5), "pid", Some(offset(&first)))
            .unwrap_err(),
        RestoreFailure::UnknownSession
    );
}

#[test]
fn a_client_that_never_read_an_event_still_recovers_everything_since_it_began() {
    // socket.io #5538: no offset at all.
    let mut store = new_store(RecoveryConfig::default());
    push(
        &mut store,
        at(0),
        &BroadcastOptions::new(),
        "before-it-began",
    );
    let cursor = store.cursor();
    store.persist(at(1), session("pid", "sid", &[], cursor));
    push(&mut store, at(2), &BroadcastOptions::new(), "while-away");
    let missed = restore_and_take(&mut store, at(3), "pid", None).unwrap();
    assert_eq!(missed.len(), 1);
    assert!(missed[0].starts_with("while-away@"));

    // And one that was sent something it never read (lost in flight) gets that too.
    let mut cursor = store.cursor();
    let (seq, _) = push(&mut store, at(4), &BroadcastOptions::new(), "in-flight");
    cursor.sent(seq);
    store.persist(at(5), session("pid2", "sid2", &[], cursor));
    let missed = restore_and_take(&mut store, at(6), "pid2", None).unwrap();
    assert_eq!(missed.len(), 1);
    assert!(missed[0].starts_with("in-flight@"));
}

#[test]
fn a_volatile_events_trailing_string_taken_for_an_offset_still_places_the_client() {
    // socket.io PR #5539: the official client stores "connected" as its offset.
    let mut store = new_store(RecoveryConfig::default());
    let mut cursor = store.cursor();
    let (seq, _) = push(&mut store, at(0), &BroadcastOptions::new(), "stored");
    cursor.sent(seq);
    cursor.sent_unstored(Arc::from("connected"));
    store.persist(at(1), session("pid", "sid", &[], cursor.clone()));
    push(&mut store, at(2), &BroadcastOptions::new(), "missed");
    let missed = restore_and_take(&mut store, at(3), "pid", Some("connected")).unwrap();
    let texts: Vec<&str> = missed
        .iter()
        .map(|p| p.split('@').next().unwrap())
        .collect();
    // Neither lost nor repeated.
    assert_eq!(texts, ["missed"]);

    // The same string at two positions cannot be placed: a fresh session, not a guess.
    let (seq, _) = push(&mut store, at(4), &BroadcastOptions::new(), "between");
    cursor.sent(seq);
    cursor.sent_unstored(Arc::from("connected"));
    store.persist(at(5), session("pid2", "sid2", &[], cursor));
    assert_eq!(
        restore_and_take(&mut store, at(6), "pid2", Some("connected")).unwrap_err(),
        RestoreFailure::UnknownOffset
    );
    store.persist(at(7), session("pid3", "sid3", &[], store.cursor()));
    assert_eq!(
        restore_and_take(&mut store, at(8), "pid3", Some("never-sent")).unwrap_err(),
        RestoreFailure::UnknownOffset
    );
}

#[test]
fn a_quiet_session_recovers_from_an_offset_whose_packet_aged_out() {
    // socket.io #5282: the client's last packet is older than the duration when it disconnects.
    let config = RecoveryConfig::default().with_max_disconnection_duration(Duration::from_secs(60));
    let mut store = new_store(config);
    let mut cursor = store.cursor();
    let (seq, last_read) = push(
        &mut store,
        at(0),
        &BroadcastOptions::new().to("quiet"),
        "old",
    );
    cursor.sent(seq);
    // Other rooms keep talking for ten minutes: the old packet ages out of the log.
    for minute in 1..=10 {
        push(
            &mut store,
            at(minute * 60),
            &BroadcastOptions::new().to("busy"),
            "chatter",
        );
    }
    assert!(store.packet_count() < 11);
    store.persist(at(600), session("pid", "sid", &["quiet"], cursor));
    push(
        &mut store,
        at(610),
        &BroadcastOptions::new().to("quiet"),
        "news",
    );
    // Packets it needs outlive their own age while the session is kept.
    for tick in 0..5 {
        push(
            &mut store,
            at(620 + tick),
            &BroadcastOptions::new().to("busy"),
            "chatter",
        );
    }
    let missed = restore_and_take(&mut store, at(655), "pid", Some(offset(&last_read))).unwrap();
    assert_eq!(missed.len(), 1);
    assert!(missed[0].starts_with("news@"));
}

#[test]
fn a_session_expires_after_the_duration_and_its_packets_go() {
    let config = RecoveryConfig::default().with_max_disconnection_duration(Duration::from_secs(10));
    let mut store = new_store(config);
    store.persist(at(0), session("pid", "sid", &[], store.cursor()));
    push(&mut store, at(1), &BroadcastOptions::new(), "missed");
    assert_eq!(store.poll_timeout(), Some(at(10)));
    store.expire(at(10));
    assert_eq!(store.session_count(), 0);
    assert_eq!(store.poll_timeout(), Some(at(11)));
    store.expire(at(11));
    assert_eq!(store.packet_count(), 0);
    assert_eq!(store.poll_timeout(), None);

    store.persist(at(20), session("pid", "sid", &[], store.cursor()));
    assert!(restore_and_take(&mut store, at(29), "pid", None).is_ok());
    store.persist(at(30), session("pid", "sid", &[], store.cursor()));
    assert_eq!(
        restore_and_take(&mut store, at(40), "pid", None).unwrap_err(),
        RestoreFailure::UnknownSession
    );
}

#[test]
fn a_session_over_its_own_bound_is_dropped_and_others_are_kept() {
    let config = RecoveryConfig::default().with_session_limits(2, 1000);
    let mut store = new_store(config);
    store.persist(at(0), session("busy", "a", &["r"], store.cursor()));
    store.persist(at(0), session("calm", "b", &[], store.cursor()));
    for _ in 0..3 {
        push(&mut store, at(1), &BroadcastOptions::new().to("r"), "x");
    }
    assert!(!store.has_session("busy"));
    assert!(store.has_session("calm"));

    let config = RecoveryConfig::default().with_session_limits(100, 10);
    let mut store = new_store(config);
    store.persist(at(0), session("pid", "a", &[], store.cursor()));
    push(&mut store, at(1), &BroadcastOptions::new(), "0123456789");
    assert!(store.has_session("pid"));
    push(&mut store, at(1), &BroadcastOptions::new(), "!");
    assert!(!store.has_session("pid"), "11 bytes over a 10-byte bound");
}

#[test]
fn the_log_drops_its_oldest_packets_at_its_bounds_and_the_sessions_that_needed_them() {
    let config = RecoveryConfig::default().with_log_limits(3, 1000);
    let mut store = new_store(config);
    store.persist(at(0), session("needs-r", "a", &["r"], store.cursor()));
    store.persist(at(0), session("other", "b", &["s"], store.cursor()));
    push(&mut store, at(1), &BroadcastOptions::new().to("r"), "r1");
    for _ in 0..3 {
        push(&mut store, at(1), &BroadcastOptions::new().to("s"), "s");
    }
    assert_eq!(store.packet_count(), 3);
    assert!(!store.has_session("needs-r"), "it lost r1: a fresh session");
    assert!(store.has_session("other"));

    let config = RecoveryConfig::default().with_log_limits(100, 5);
    let mut store = new_store(config);
    push(&mut store, at(1), &BroadcastOptions::new(), "abc");
    push(&mut store, at(1), &BroadcastOptions::new(), "def");
    assert_eq!((store.packet_count(), store.byte_count()), (1, 3));
}

#[test]
fn a_client_behind_what_it_was_sent_gets_a_fresh_session_once_the_gap_is_gone() {
    let config = RecoveryConfig::default().with_log_limits(2, 1000);
    let mut store = new_store(config);
    let mut cursor = store.cursor();
    let (seq, read) = push(&mut store, at(0), &BroadcastOptions::new(), "read");
    cursor.sent(seq);
    for _ in 0..3 {
        let (seq, _) = push(&mut store, at(0), &BroadcastOptions::new(), "in-flight");
        cursor.sent(seq);
    }
    store.persist(at(1), session("pid", "sid", &[], cursor));
    // The client read only the first; the first in flight was dropped at the log's bound.
    assert_eq!(
        restore_and_take(&mut store, at(2), "pid", Some(offset(&read))).unwrap_err(),
        RestoreFailure::PacketsLost
    );
}

#[test]
fn a_claim_keeps_its_packets_and_reports_a_loss_at_a_bound() {
    let config = RecoveryConfig::default().with_log_limits(2, 1000);
    let mut store = new_store(config);
    store.persist(at(0), session("pid", "sid", &[], store.cursor()));
    push(&mut store, at(1), &BroadcastOptions::new(), "missed");
    let restored = store.restore(at(2), "pid", None).unwrap();
    // While the middleware runs, the log overflows.
    push(&mut store, at(3), &BroadcastOptions::new(), "a");
    push(&mut store, at(3), &BroadcastOptions::new(), "b");
    assert_eq!(
        store.take_missed(restored.claim).unwrap_err(),
        RestoreFailure::PacketsLost
    );

    // A claim given back releases what it pinned.
    let config = RecoveryConfig::default().with_max_disconnection_duration(Duration::from_secs(1));
    let mut store = new_store(config);
    store.persist(at(0), session("pid", "sid", &[], store.cursor()));
    push(&mut store, at(0), &BroadcastOptions::new(), "missed");
    let restored = store.restore(at(0), "pid", None).unwrap();
    store.expire(at(5));
    assert_eq!(store.packet_count(), 1, "pinned by the claim");
    store.release(restored.claim);
    store.expire(at(5));
    assert_eq!(store.packet_count(), 0);
}

#[test]
fn the_session_count_is_bounded_oldest_first() {
    let mut store = new_store(RecoveryConfig::default().with_max_sessions(2));
    store.persist(at(0), session("first", "a", &[], store.cursor()));
    store.persist(at(1), session("second", "b", &[], store.cursor()));
    store.persist(at(2), session("third", "c", &[], store.cursor()));
    assert!(!store.has_session("first"));
    assert!(store.has_session("second") && store.has_session("third"));
}
