//! The room index and broadcast selection, checked through the public API.

use proptest::prelude::*;
use socketio_proto::adapter::{
    Adapter, BroadcastOptions, RequestId, Room, RoomEvent, Rooms, Selection, SocketId,
};
use std::collections::{BTreeMap, BTreeSet};

fn sid(text: &str) -> SocketId {
    SocketId::new(text)
}

fn room(text: &str) -> Room {
    Room::new(text)
}

/// The selected ids, sorted; panics if any socket was produced twice.
fn ids(selection: Selection<'_>) -> Vec<String> {
    let all: Vec<String> = selection.map(|s| s.to_string()).collect();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(
        unique.len(),
        all.len(),
        "a socket was selected twice: {all:?}"
    );
    let mut all = all;
    all.sort();
    all
}

fn names(list: &[&str]) -> Vec<String> {
    let mut list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    list.sort();
    list
}

fn socket_rooms(rooms: &Rooms, id: &str) -> Option<Vec<String>> {
    rooms.socket_rooms(id).map(|iter| {
        let mut list: Vec<String> = iter.map(|r| r.to_string()).collect();
        list.sort();
        list
    })
}

fn events(rooms: &mut Rooms) -> Vec<RoomEvent> {
    std::iter::from_fn(|| rooms.poll_event()).collect()
}

/// Sockets a..e connected; a, b in "red"; b, c in "blue"; d in "green"; e in no extra room.
fn fixture() -> Rooms {
    let mut rooms = Rooms::new();
    for id in ["a", "b", "c", "d", "e"] {
        rooms.add_socket(&sid(id));
    }
    rooms.add_all(&sid("a"), ["red"]);
    rooms.add_all(&sid("b"), ["red", "blue"]);
    rooms.add_all(&sid("c"), ["blue"]);
    rooms.add_all(&sid("d"), ["green"]);
    rooms
}

#[test]
fn a_connected_socket_is_alone_in_its_own_id_room() {
    let mut rooms = Rooms::new();
    let id = sid("AbCdEfGhIjKlMnOpQrSt");
    rooms.add_socket(&id);
    assert!(rooms.contains_socket(&id));
    assert_eq!(socket_rooms(&rooms, &id).unwrap(), names(&[id.as_str()]));
    assert!(rooms.has_room(&id));
    assert_eq!(rooms.room_len(&id), 1);
    assert!(rooms.is_member(&id, &id));
    assert_eq!((rooms.socket_count(), rooms.room_count()), (1, 1));
}

#[test]
fn add_all_registers_a_socket_even_without_rooms() {
    let mut rooms = Rooms::new();
    rooms.add_all(&sid("x"), Vec::<Room>::new());
    assert!(rooms.contains_socket("x"));
    assert_eq!(socket_rooms(&rooms, "x").unwrap(), Vec::<String>::new());
    assert_eq!(rooms.room_count(), 0);
    assert_eq!(ids(rooms.select(&BroadcastOptions::new())), names(&["x"]));
}

#[test]
fn join_and_leave_keep_both_maps_consistent() {
    let mut rooms = Rooms::new();
    rooms.add_socket(&sid("a"));
    rooms.add_socket(&sid("b"));
    rooms.add_all(&sid("a"), ["r", "s"]);
    rooms.add_all(&sid("b"), ["r", "r"]);
    assert_eq!(rooms.room_len("r"), 2);
    assert_eq!(socket_rooms(&rooms, "a").unwrap(), names(&["a", "r", "s"]));
    assert_eq!(socket_rooms(&rooms, "b").unwrap(), names(&["b", "r"]));

    assert!(rooms.del("a", "r"));
    assert!(!rooms.del("a", "r"), "already left");
    assert!(!rooms.is_member("a", "r"));
    assert_eq!(socket_rooms(&rooms, "a").unwrap(), names(&["a", "s"]));
    assert_eq!(rooms.room_len("r"), 1);

    assert!(rooms.del("a", "s"));
    assert!(!rooms.has_room("s"), "an empty room is deleted");
    let mut listed: Vec<String> = rooms.rooms().map(|r| r.to_string()).collect();
    listed.sort();
    assert_eq!(listed, names(&["a", "b", "r"]));
    assert!(!rooms.del("nobody", "r"));
    assert!(!rooms.del("b", "missing"));
}

#[test]
fn leaving_the_own_id_room_keeps_the_socket_in_the_namespace() {
    let mut rooms = Rooms::new();
    rooms.add_socket(&sid("a"));
    assert!(rooms.del("a", "a"));
    assert!(!rooms.has_room("a"));
    assert!(rooms.contains_socket("a"));
    assert_eq!(ids(rooms.select(&BroadcastOptions::new())), names(&["a"]));
    assert_eq!(
        ids(rooms.select(&BroadcastOptions::new().to("a"))),
        names(&[])
    );
}

#[test]
fn del_all_leaves_no_trace() {
    let mut rooms = fixture();
    assert!(rooms.del_all("b"));
    assert!(!rooms.del_all("b"), "already gone");
    assert!(!rooms.contains_socket("b"));
    assert!(rooms.socket_rooms("b").is_none());
    assert!(!rooms.has_room("b"));
    for name in ["red", "blue"] {
        assert!(!rooms.is_member("b", name));
    }
    assert_eq!(ids(rooms.sockets_in([&room("red")])), names(&["a"]));
    assert_eq!(ids(rooms.sockets_in([&room("blue")])), names(&["c"]));
    assert_eq!(rooms.socket_count(), 4);

    rooms.del_all("c");
    assert!(!rooms.has_room("blue"), "its last member left");
    assert_eq!(rooms.room_count(), 5, "a, d, e, red, green");
}

#[test]
fn selects_every_socket_when_no_room_is_named() {
    let rooms = fixture();
    assert_eq!(
        ids(rooms.select(&BroadcastOptions::new())),
        names(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(
        ids(rooms.sockets_in(std::iter::empty())),
        names(&["a", "b", "c", "d", "e"])
    );
}

#[test]
fn selects_a_single_room() {
    let rooms = fixture();
    assert_eq!(
        ids(rooms.select(&BroadcastOptions::new().to("red"))),
        names(&["a", "b"])
    );
    assert_eq!(
        ids(rooms.select(&BroadcastOptions::new().to("e"))),
        names(&["e"])
    );
}

#[test]
fn naming_only_missing_rooms_selects_nobody() {
    let rooms = fixture();
    let opts = BroadcastOptions::new().to("nowhere");
    assert_eq!(ids(rooms.select(&opts)), names(&[]));
}

#[test]
fn a_union_of_overlapping_rooms_yields_each_socket_once() {
    let rooms = fixture();
    let opts = BroadcastOptions::new().to_rooms(["red", "blue", "nowhere"]);
    assert_eq!(ids(rooms.select(&opts)), names(&["a", "b", "c"]));
    // The same room listed twice counts once.
    let red = room("red");
    assert_eq!(
        ids(rooms.sockets_in([&red, &red, &room("blue")])),
        names(&["a", "b", "c"])
    );
}

#[test]
fn a_union_of_many_overlapping_rooms_yields_each_socket_once() {
    let mut rooms = Rooms::new();
    for i in 0..50 {
        let id = sid(&format!("s{i:02}"));
        rooms.add_socket(&id);
        // Socket i is in rooms r(i % 7) and r(i % 5), so most rooms overlap.
        rooms.add_all(&id, [format!("r{}", i % 7), format!("r{}", i % 5)]);
    }
    let targets = ["r0", "r1", "r2", "r3", "r4", "r5"];
    let expected: Vec<String> = (0..50)
        .filter(|i| i % 7 <= 5 || i % 5 <= 5)
        .map(|i| format!("s{i:02}"))
        .collect();
    assert_eq!(
        ids(rooms.select(&BroadcastOptions::new().to_rooms(targets))),
        expected
    );
    let opts = BroadcastOptions::new()
        .to_rooms(targets)
        .except("r6")
        .except("s01");
    let expected: Vec<String> = (0..50)
        .filter(|i| i % 7 != 6 && *i != 1)
        .map(|i| format!("s{i:02}"))
        .collect();
    assert_eq!(ids(rooms.select(&opts)), expected);
}

#[test]
fn except_rooms_remove_their_members() {
    let rooms = fixture();
    let opts = BroadcastOptions::new()
        .to_rooms(["red", "blue"])
        .except("blue");
    assert_eq!(ids(rooms.select(&opts)), names(&["a"]));
    let opts = BroadcastOptions::new()
        .to("red")
        .except("green")
        .except("nowhere");
    assert_eq!(ids(rooms.select(&opts)), names(&["a", "b"]));
}

#[test]
fn except_with_no_target_room_is_everyone_else() {
    let rooms = fixture();
    let opts = BroadcastOptions::new().except_rooms(["red", "green"]);
    assert_eq!(ids(rooms.select(&opts)), names(&["c", "e"]));
}

#[test]
fn the_sender_is_excluded_from_its_own_broadcast() {
    let rooms = fixture();
    let sender = sid("b");
    assert_eq!(
        ids(rooms.select(&BroadcastOptions::from_sender(&sender))),
        names(&["a", "c", "d", "e"])
    );
    let to_red = BroadcastOptions::from_sender(&sender).to("red").to("blue");
    assert_eq!(ids(rooms.select(&to_red)), names(&["a", "c"]));
}

#[test]
fn flags_do_not_change_the_selection() {
    let rooms = fixture();
    let opts = BroadcastOptions::new()
        .to("red")
        .volatile()
        .local()
        .compress(false);
    assert_eq!(ids(rooms.select(&opts)), names(&["a", "b"]));
}

#[test]
fn events_are_off_until_enabled() {
    let mut rooms = Rooms::new();
    rooms.add_socket(&sid("a"));
    rooms.add_all(&sid("a"), ["r"]);
    rooms.del_all("a");
    assert_eq!(rooms.poll_event(), None);
}

#[test]
fn events_follow_the_reference_order() {
    let mut rooms = Rooms::new();
    rooms.enable_events(100);
    let (a, b) = (sid("a"), sid("b"));
    rooms.add_socket(&a);
    assert_eq!(
        events(&mut rooms),
        [
            RoomEvent::CreateRoom(room("a")),
            RoomEvent::JoinRoom(room("a"), a.clone())
        ]
    );
    rooms.add_socket(&b);
    events(&mut rooms);

    rooms.add_all(&a, ["r"]);
    rooms.add_all(&b, ["r"]);
    assert_eq!(
        events(&mut rooms),
        [
            RoomEvent::CreateRoom(room("r")),
            RoomEvent::JoinRoom(room("r"), a.clone()),
            RoomEvent::JoinRoom(room("r"), b.clone()),
        ]
    );
    rooms.add_all(&a, ["r"]);
    assert!(
        events(&mut rooms).is_empty(),
        "joining again changes nothing"
    );

    rooms.del("a", "r");
    assert_eq!(
        events(&mut rooms),
        [RoomEvent::LeaveRoom(room("r"), a.clone())]
    );
    rooms.del("b", "r");
    assert_eq!(
        events(&mut rooms),
        [
            RoomEvent::LeaveRoom(room("r"), b.clone()),
            RoomEvent::DeleteRoom(room("r"))
        ]
    );
    rooms.del("b", "r");
    assert!(events(&mut rooms).is_empty());
}

#[test]
fn disconnect_events_leave_then_delete_each_room() {
    let mut rooms = Rooms::new();
    let (a, b) = (sid("a"), sid("b"));
    rooms.add_socket(&a);
    rooms.add_socket(&b);
    rooms.add_all(&a, ["shared", "solo"]);
    rooms.add_all(&b, ["shared"]);
    rooms.enable_events(100);
    rooms.del_all("a");
    let got = events(&mut rooms);
    assert_eq!(got.len(), 5, "{got:?}");
    for name in ["a", "solo"] {
        let leave = got
            .iter()
            .position(|e| *e == RoomEvent::LeaveRoom(room(name), a.clone()));
        let delete = got
            .iter()
            .position(|e| *e == RoomEvent::DeleteRoom(room(name)));
        assert!(leave.unwrap() < delete.unwrap(), "{got:?}");
    }
    assert!(got.contains(&RoomEvent::LeaveRoom(room("shared"), a.clone())));
    assert!(!got.contains(&RoomEvent::DeleteRoom(room("shared"))));
}

#[test]
fn the_event_queue_is_bounded_and_counts_what_it_drops() {
    let mut rooms = Rooms::new();
    rooms.enable_events(3);
    rooms.add_socket(&sid("a"));
    rooms.add_all(&sid("a"), ["r", "s"]);
    assert_eq!(events(&mut rooms).len(), 3);
    assert_eq!(rooms.dropped_events(), 3);
    rooms.del("a", "r");
    assert_eq!(events(&mut rooms).len(), 2, "room again once drained");
    rooms.disable_events();
    rooms.del("a", "s");
    assert_eq!(rooms.poll_event(), None);
}

#[test]
fn add_sockets_joins_the_selected_sockets() {
    let mut rooms = fixture();
    rooms.enable_events(100);
    let opts = BroadcastOptions::new().to("red").except("a");
    assert_eq!(rooms.add_sockets(&opts, &[room("vip"), room("blue")]), 1);
    assert_eq!(ids(rooms.sockets_in([&room("vip")])), names(&["b"]));
    assert_eq!(
        events(&mut rooms),
        [
            RoomEvent::CreateRoom(room("vip")),
            RoomEvent::JoinRoom(room("vip"), sid("b"))
        ],
        "b was already in blue"
    );
    // Everyone joins.
    assert_eq!(
        rooms.add_sockets(&BroadcastOptions::new(), &[room("all")]),
        5
    );
    assert_eq!(rooms.room_len("all"), 5);
    assert_eq!(socket_rooms(&rooms, "e").unwrap(), names(&["all", "e"]));
}

#[test]
fn del_sockets_removes_the_selected_sockets_even_from_the_selecting_room() {
    let mut rooms = fixture();
    let opts = BroadcastOptions::new().to("blue");
    assert_eq!(rooms.del_sockets(&opts, &[room("blue"), room("red")]), 2);
    assert!(!rooms.has_room("blue"));
    assert_eq!(ids(rooms.sockets_in([&room("red")])), names(&["a"]));
    assert!(rooms.contains_socket("b") && rooms.contains_socket("c"));
    assert_eq!(socket_rooms(&rooms, "b").unwrap(), names(&["b"]));
    assert_eq!(
        rooms.del_sockets(&BroadcastOptions::new().to("nowhere"), &[room("a")]),
        0
    );
    assert!(rooms.has_room("a"));
}

#[test]
fn rooms_is_the_in_memory_adapter() {
    let mut rooms = fixture();
    let adapter: &mut dyn Adapter<[u8]> = &mut rooms;
    assert_eq!(adapter.server_count(), 1);
    let opts = BroadcastOptions::new().to("blue");
    assert_eq!(ids(adapter.broadcast(b"packet", &opts)), names(&["b", "c"]));
    assert_eq!(
        ids(adapter.broadcast_with_ack(RequestId(1), b"p", &opts)),
        names(&["b", "c"])
    );
    assert_eq!(
        ids(adapter.fetch_sockets(RequestId(2), &opts)),
        names(&["b", "c"])
    );
    assert_eq!(
        ids(adapter.disconnect_sockets(&opts, true)),
        names(&["b", "c"])
    );
    assert_eq!(adapter.server_side_emit(Some(RequestId(3)), b"hello"), 0);
    assert_eq!(adapter.add_sockets(&opts, &[room("x")]), 2);
    assert_eq!(
        adapter.del_sockets(&BroadcastOptions::new().to("x"), &[room("x")]),
        2
    );
    adapter.local_mut().add_all(&sid("e"), ["x"]);
    assert_eq!(ids(adapter.local().sockets_in([&room("x")])), names(&["e"]));
}

#[test]
fn long_ids_and_room_names_work_like_short_ones() {
    let mut rooms = Rooms::new();
    let long_sid = sid(&"s".repeat(64));
    let long_room = "room-".repeat(20);
    rooms.add_socket(&long_sid);
    rooms.add_all(&long_sid, [long_room.as_str()]);
    assert!(rooms.is_member(&long_sid, &long_room));
    let opts = BroadcastOptions::from_sender(&long_sid).to(long_room.as_str());
    assert_eq!(ids(rooms.select(&opts)), names(&[]));
    assert!(rooms.del_all(&long_sid));
    assert_eq!(rooms.room_count(), 0);
}

// ---- model-based property test ----

#[derive(Clone, Debug)]
enum Op {
    Connect(u8),
    Join(u8, Vec<u8>),
    Leave(u8, u8),
    LeaveOwn(u8),
    Disconnect(u8),
    AddSockets(Vec<u8>, Vec<u8>, Vec<u8>),
    DelSockets(Vec<u8>, Vec<u8>, Vec<u8>),
}

const SOCKETS: u8 = 8;
const ROOMS: u8 = 5;

fn sid_of(n: u8) -> SocketId {
    sid(&format!("sock{n}"))
}

fn room_of(n: u8) -> Room {
    room(&format!("room{n}"))
}

fn op() -> impl Strategy<Value = Op> {
    let sock = 0..SOCKETS;
    let rooms = || prop::collection::vec(0..ROOMS, 0..4);
    prop_oneof![
        3 => sock.clone().prop_map(Op::Connect),
        4 => (sock.clone(), rooms()).prop_map(|(s, r)| Op::Join(s, r)),
        2 => (sock.clone(), 0..ROOMS).prop_map(|(s, r)| Op::Leave(s, r)),
        1 => sock.clone().prop_map(Op::LeaveOwn),
        2 => sock.prop_map(Op::Disconnect),
        1 => (rooms(), rooms(), rooms()).prop_map(|(t, e, r)| Op::AddSockets(t, e, r)),
        1 => (rooms(), rooms(), rooms()).prop_map(|(t, e, r)| Op::DelSockets(t, e, r)),
    ]
}

/// The model: socket -> rooms; a socket present with no room is still in the namespace.
type Model = BTreeMap<String, BTreeSet<String>>;

fn opts_of(targets: &[u8], except: &[u8]) -> BroadcastOptions {
    BroadcastOptions::new()
        .to_rooms(targets.iter().map(|&r| room_of(r)))
        .except_rooms(except.iter().map(|&r| room_of(r)))
}

fn model_select(model: &Model, opts: &BroadcastOptions) -> Vec<String> {
    model
        .iter()
        .filter(|(_, rooms)| {
            let targeted =
                opts.rooms.is_empty() || opts.rooms.iter().any(|r| rooms.contains(r.as_str()));
            let excluded = opts.except.iter().any(|r| rooms.contains(r.as_str()));
            targeted && !excluded
        })
        .map(|(sid, _)| sid.clone())
        .collect()
}

fn apply(model: &mut Model, rooms: &mut Rooms, op: &Op) {
    match op {
        Op::Connect(s) => {
            let id = sid_of(*s);
            rooms.add_socket(&id);
            model
                .entry(id.to_string())
                .or_default()
                .insert(id.to_string());
        }
        Op::Join(s, list) => {
            let id = sid_of(*s);
            rooms.add_all(&id, list.iter().map(|&r| room_of(r)));
            let entry = model.entry(id.to_string()).or_default();
            entry.extend(list.iter().map(|&r| room_of(r).to_string()));
        }
        Op::Leave(s, r) => {
            let (id, name) = (sid_of(*s), room_of(*r));
            let was = model
                .get_mut(id.as_str())
                .is_some_and(|set| set.remove(name.as_str()));
            assert_eq!(rooms.del(&id, &name), was);
        }
        Op::LeaveOwn(s) => {
            let id = sid_of(*s);
            let was = model
                .get_mut(id.as_str())
                .is_some_and(|set| set.remove(id.as_str()));
            assert_eq!(rooms.del(&id, &id), was);
        }
        Op::Disconnect(s) => {
            let id = sid_of(*s);
            assert_eq!(rooms.del_all(&id), model.remove(id.as_str()).is_some());
        }
        Op::AddSockets(targets, except, list) => {
            let opts = opts_of(targets, except);
            let selected = model_select(model, &opts);
            let list: Vec<Room> = list.iter().map(|&r| room_of(r)).collect();
            assert_eq!(rooms.add_sockets(&opts, &list), selected.len());
            for id in selected {
                model
                    .get_mut(&id)
                    .unwrap()
                    .extend(list.iter().map(|r| r.to_string()));
            }
        }
        Op::DelSockets(targets, except, list) => {
            let opts = opts_of(targets, except);
            let selected = model_select(model, &opts);
            let list: Vec<Room> = list.iter().map(|&r| room_of(r)).collect();
            assert_eq!(rooms.del_sockets(&opts, &list), selected.len());
            for id in selected {
                let set = model.get_mut(&id).unwrap();
                for r in &list {
                    set.remove(r.as_str());
                }
            }
        }
    }
}

/// Both directions of the index agree with the model, and no empty room is kept.
fn check_consistent(model: &Model, rooms: &Rooms) {
    assert_eq!(rooms.socket_count(), model.len());
    let mut by_room: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, set) in model {
        assert_eq!(
            socket_rooms(rooms, id).unwrap(),
            set.iter().cloned().collect::<Vec<_>>()
        );
        for r in set {
            by_room.entry(r.clone()).or_default().insert(id.clone());
        }
    }
    assert_eq!(rooms.room_count(), by_room.len(), "no empty or stale rooms");
    for name in rooms.rooms() {
        let members: BTreeSet<String> = rooms
            .room_members(name)
            .unwrap()
            .map(|s| s.to_string())
            .collect();
        assert!(!members.is_empty());
        assert_eq!(Some(&members), by_room.get(name.as_str()));
        for member in &members {
            assert!(
                model.contains_key(member),
                "{member} is gone but still in {name}"
            );
        }
    }
}

/// Room membership rebuilt from the event stream alone.
fn replay(events: &[RoomEvent]) -> BTreeMap<String, BTreeSet<String>> {
    let mut rooms: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for event in events {
        match event {
            RoomEvent::CreateRoom(r) => {
                assert!(
                    rooms.insert(r.to_string(), BTreeSet::new()).is_none(),
                    "{r} created twice"
                );
            }
            RoomEvent::JoinRoom(r, s) => {
                let members = rooms.get_mut(r.as_str()).expect("joined before create");
                assert!(members.insert(s.to_string()), "{s} joined {r} twice");
            }
            RoomEvent::LeaveRoom(r, s) => {
                let members = rooms.get_mut(r.as_str()).expect("left a deleted room");
                assert!(
                    members.remove(s.as_str()),
                    "{s} left {r} without being in it"
                );
            }
            RoomEvent::DeleteRoom(r) => {
                let members = rooms.remove(r.as_str()).expect("deleted a missing room");
                assert!(members.is_empty(), "{r} deleted while not empty");
            }
        }
    }
    rooms
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_operations_match_the_model(ops in prop::collection::vec(op(), 1..60),
                                          probes in prop::collection::vec(
                                              (prop::collection::vec(0..ROOMS, 0..3),
                                               prop::collection::vec(0..ROOMS, 0..3),
                                               prop::option::of(0..SOCKETS)), 1..6)) {
        let mut rooms = Rooms::new();
        rooms.enable_events(usize::MAX);
        let mut model = Model::new();
        let mut log = Vec::new();
        for op in &ops {
            apply(&mut model, &mut rooms, op);
            check_consistent(&model, &rooms);
            log.extend(std::iter::from_fn(|| rooms.poll_event()));
            let rebuilt = replay(&log);
            let actual: BTreeMap<String, BTreeSet<String>> = rooms
                .rooms()
                .map(|r| (r.to_string(), rooms.room_members(r).unwrap().map(|s| s.to_string()).collect()))
                .collect();
            prop_assert_eq!(rebuilt, actual);
        }
        for (targets, except, sender) in probes {
            let mut opts = opts_of(&targets, &except);
            if let Some(s) = sender {
                opts = opts.except_socket(&sid_of(s));
            }
            prop_assert_eq!(ids(rooms.select(&opts)), model_select(&model, &opts));
        }
        prop_assert_eq!(rooms.dropped_events(), 0);
    }
}
