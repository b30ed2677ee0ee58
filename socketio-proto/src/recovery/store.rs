//! `RecoveryStore`: one namespace's packet log and disconnected sessions.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use engineio_proto::Instant;
use serde::{Deserialize, Serialize};

use super::config::RecoveryConfig;
use super::cursor::Cursor;
use super::offset::{offset_of, seq_of};
use crate::adapter::{BroadcastOptions, Room, SocketId};

/// A socket that ended for a recoverable reason, as [`RecoveryStore::persist`] takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionToPersist<D> {
    /// The private session id the client sends back (`pid`), drawn by the caller like a socket id.
    pub pid: String,
    /// The socket id it gets back.
    pub sid: SocketId,
    /// Its rooms, its own-id room included.
    pub rooms: Vec<Room>,
    /// The application's data attached to the socket.
    pub data: D,
    /// What it was sent.
    pub cursor: Cursor,
}

/// The part of a session a cluster adapter would share with other servers: plain serializable data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistedSession {
    /// The private session id.
    pub pid: String,
    /// The socket id.
    pub sid: SocketId,
    /// Its rooms.
    pub rooms: Vec<Room>,
}

/// A restored session's claim on the log, from [`RecoveryStore::restore`]: give it back with
/// [`take_missed`](RecoveryStore::take_missed) (the socket connected) or
/// [`release`](RecoveryStore::release) (it did not). Until then, the packets it needs are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClaimId(u64);

/// A session taken out of the store to connect again.
#[derive(Debug, PartialEq, Eq)]
pub struct Restored<D> {
    /// Its claim on the missed packets.
    pub claim: ClaimId,
    /// The socket id it had.
    pub sid: SocketId,
    /// Its rooms.
    pub rooms: Vec<Room>,
    /// Its data.
    pub data: D,
}

/// Why a session could not be restored: in every case the client gets a fresh session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RestoreFailure {
    /// No such session here: never persisted, restored already, expired, or dropped at a limit.
    #[error("no such session")]
    UnknownSession,
    /// The offset names no position this session was sent (nor an alias of one).
    #[error("the offset cannot be placed in the log")]
    UnknownOffset,
    /// Packets the client missed were dropped at a limit.
    #[error("packets the client missed are gone")]
    PacketsLost,
}

struct Entry<P> {
    seq: u64,
    opts: BroadcastOptions,
    packet: P,
    size: usize,
    emitted_at: Instant,
}

struct StoredSession<D> {
    sid: SocketId,
    rooms: Vec<Room>,
    data: D,
    cursor: Cursor,
    disconnected_at: Instant,
    /// The last position assigned when it disconnected: what comes after was never sent to it.
    disconnect_seq: u64,
    pin: u64,
    missed_packets: usize,
    missed_bytes: usize,
}

struct Claim {
    /// The client has everything up to here.
    from: u64,
    /// What was sent to it before it disconnected: `(from, last]` may have been lost in flight.
    last: u64,
    disconnect_seq: u64,
    start: u64,
    rooms: Vec<Room>,
    pin: u64,
    lost: bool,
}

impl Claim {
    fn needs<P>(&self, entry: &Entry<P>) -> bool {
        entry.seq > self.from
            && (entry.seq <= self.last || entry.seq > self.disconnect_seq)
            && selects(&self.rooms, &entry.opts)
    }
}

/// One namespace's connection state recovery: the log of stored packets and the disconnected
/// sessions, with the bounds of [`RecoveryConfig`]. `P` is the stored packet as the caller sends it
/// (cheap to clone: shared bytes), `D` the session's application data.
///
/// Nothing here reads a clock: every call that ages something takes `now`, from one monotonic clock
/// per store. Call [`expire`](Self::expire) at [`poll_timeout`](Self::poll_timeout) to release
/// memory early; every other call expires what is due first anyway.
pub struct RecoveryStore<P, D> {
    config: RecoveryConfig,
    prefix: String,
    /// The last position assigned (0: none yet).
    last_seq: u64,
    log: VecDeque<Entry<P>>,
    log_bytes: usize,
    /// The highest position dropped from the log (by age or at a limit).
    dropped_through: u64,
    sessions: BTreeMap<String, StoredSession<D>>,
    /// Sessions by disconnection time, oldest first; entries whose session is gone are skipped.
    expiry: VecDeque<(Instant, String)>,
    claims: BTreeMap<ClaimId, Claim>,
    next_claim: u64,
    /// Log positions from which sessions and claims need the packets: position -> holders.
    pins: BTreeMap<u64, usize>,
}

impl<P, D> core::fmt::Debug for RecoveryStore<P, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecoveryStore")
            .field("packets", &self.log.len())
            .field("bytes", &self.log_bytes)
            .field("sessions", &self.sessions.len())
            .finish()
    }
}

impl<P: Clone, D> RecoveryStore<P, D> {
    /// An empty store whose offsets start with `prefix` (a server id: give each store a distinct
    /// one, so that an offset from another server or an earlier run is never taken for one of
    /// these).
    pub fn new(config: RecoveryConfig, prefix: String) -> Self {
        RecoveryStore {
            config,
            prefix,
            last_seq: 0,
            log: VecDeque::new(),
            log_bytes: 0,
            dropped_through: 0,
            sessions: BTreeMap::new(),
            expiry: VecDeque::new(),
            claims: BTreeMap::new(),
            next_claim: 0,
            pins: BTreeMap::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &RecoveryConfig {
        &self.config
    }

    /// A cursor for a socket whose session begins now.
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.last_seq)
    }

    /// Packets in the log.
    pub fn packet_count(&self) -> usize {
        self.log.len()
    }

    /// Bytes of packets in the log.
    pub fn byte_count(&self) -> usize {
        self.log_bytes
    }

    /// Disconnected sessions kept.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Whether the session `pid` is kept.
    pub fn has_session(&self, pid: &str) -> bool {
        self.sessions.contains_key(pid)
    }

    /// Stores a packet for the sockets `opts` selects (its rooms and exceptions): `make` builds it
    /// from its offset (appended as its last argument) and gives its size in bytes. Returns its log
    /// position and the packet, to send to the connected recipients now — before any other packet
    /// is stored, so that every client reads the log in order.
    pub fn push_with<E>(
        &mut self,
        now: Instant,
        opts: &BroadcastOptions,
        make: impl FnOnce(&str) -> Result<(P, usize), E>,
    ) -> Result<(u64, P), E> {
        self.expire(now);
        let seq = self.last_seq + 1;
        let (packet, size) = make(&offset_of(&self.prefix, seq))?;
        self.last_seq = seq;
        let entry = Entry {
            seq,
            opts: BroadcastOptions {
                rooms: opts.rooms.clone(),
                except: opts.except.clone(),
                flags: Default::default(),
            },
            packet: packet.clone(),
            size,
            emitted_at: now,
        };
        self.count_missed(&entry);
        self.log_bytes += size;
        self.log.push_back(entry);
        while self.log.len() > self.config.max_packets || self.log_bytes > self.config.max_bytes {
            self.drop_front_at_limit();
        }
        Ok((seq, packet))
    }

    /// Keeps the session of a socket that ended for a recoverable reason, until
    /// `now + max_disconnection_duration`. A session already kept under the same `pid` is replaced.
    pub fn persist(&mut self, now: Instant, session: SessionToPersist<D>) {
        self.expire(now);
        if self.config.max_sessions == 0 {
            return;
        }
        self.remove_session(&session.pid);
        while self.sessions.len() >= self.config.max_sessions {
            let Some((_, pid)) = self.expiry.pop_front() else {
                break;
            };
            self.remove_session(&pid);
        }
        // Everything the log holds now may have been in flight to the client.
        let pin = self
            .log
            .front()
            .map_or(self.last_seq + 1, |entry| entry.seq);
        self.add_pin(pin);
        self.expiry.push_back((now, session.pid.clone()));
        self.sessions.insert(
            session.pid,
            StoredSession {
                sid: session.sid,
                rooms: session.rooms,
                data: session.data,
                cursor: session.cursor,
                disconnected_at: now,
                disconnect_seq: self.last_seq,
                pin,
                missed_packets: 0,
                missed_bytes: 0,
            },
        );
    }

    /// Takes the session `pid` out of the store for a client that read up to `offset` (`None`: it
    /// never read an event). The packets it missed stay until the claim is given back.
    pub fn restore(
        &mut self,
        now: Instant,
        pid: &str,
        offset: Option<&str>,
    ) -> Result<Restored<D>, RestoreFailure> {
        self.expire(now);
        let session = self
            .remove_session(pid)
            .ok_or(RestoreFailure::UnknownSession)?;
        let cursor = &session.cursor;
        let from = match offset {
            None => Some(cursor.start),
            Some(offset) => seq_of(&self.prefix, offset)
                .filter(|&seq| seq >= cursor.start && seq <= cursor.last)
                .or_else(|| cursor.resolve_alias(offset)),
        }
        .ok_or(RestoreFailure::UnknownOffset)?;
        if from < cursor.last && self.dropped_through > from {
            return Err(RestoreFailure::PacketsLost);
        }
        let id = ClaimId(self.next_claim);
        self.next_claim += 1;
        self.add_pin(from + 1);
        self.claims.insert(
            id,
            Claim {
                from,
                last: cursor.last,
                disconnect_seq: session.disconnect_seq,
                start: cursor.start,
                rooms: session.rooms.clone(),
                pin: from + 1,
                lost: false,
            },
        );
        Ok(Restored {
            claim: id,
            sid: session.sid,
            rooms: session.rooms,
            data: session.data,
        })
    }

    /// The packets the restored session missed, in order, and the cursor of its socket, which is
    /// connected again and receives what is stored from now on. `Err` if some were dropped at a
    /// limit meanwhile: the socket must not go on as if it had them.
    pub fn take_missed(&mut self, claim: ClaimId) -> Result<(Vec<P>, Cursor), RestoreFailure> {
        let claim = self
            .claims
            .remove(&claim)
            .ok_or(RestoreFailure::UnknownSession)?;
        self.release_pin(claim.pin);
        if claim.lost {
            return Err(RestoreFailure::PacketsLost);
        }
        let missed: Vec<P> = self
            .log
            .iter()
            .filter(|entry| claim.needs(entry))
            .map(|entry| entry.packet.clone())
            .collect();
        let cursor = Cursor {
            start: claim.start,
            last: self.last_seq,
            aliases: VecDeque::new(),
        };
        Ok((missed, cursor))
    }

    /// Gives back a claim whose socket did not connect (refused, or its connection ended first).
    pub fn release(&mut self, claim: ClaimId) {
        if let Some(claim) = self.claims.remove(&claim) {
            self.release_pin(claim.pin);
        }
    }

    /// Drops the sessions past `max_disconnection_duration` and the packets no one needs that are
    /// older than it.
    pub fn expire(&mut self, now: Instant) {
        let duration = self.config.max_disconnection_duration;
        while let Some((at, pid)) = self.expiry.front() {
            let current = self
                .sessions
                .get(pid)
                .is_some_and(|session| session.disconnected_at == *at);
            if current && *at + duration > now {
                break;
            }
            let (_, pid) = self.expiry.pop_front().unwrap_or_default();
            if current {
                self.remove_session(&pid);
            }
        }
        let pinned_from = self.pins.keys().next().copied();
        while let Some(entry) = self.log.front() {
            let pinned = pinned_from.is_some_and(|pin| entry.seq >= pin);
            if pinned || entry.emitted_at + duration > now {
                break;
            }
            self.pop_front();
        }
    }

    /// When [`expire`](Self::expire) next has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let duration = self.config.max_disconnection_duration;
        let session = self
            .expiry
            .iter()
            .find(|(at, pid)| {
                self.sessions
                    .get(pid)
                    .is_some_and(|session| session.disconnected_at == *at)
            })
            .map(|(at, _)| *at + duration);
        let pinned_from = self.pins.keys().next().copied();
        let packet = self
            .log
            .front()
            .filter(|entry| pinned_from.is_none_or(|pin| entry.seq < pin))
            .map(|entry| entry.emitted_at + duration);
        session.into_iter().chain(packet).min()
    }

    // ----- internals -----

    fn remove_session(&mut self, pid: &str) -> Option<StoredSession<D>> {
        let session = self.sessions.remove(pid)?;
        self.release_pin(session.pin);
        Some(session)
    }

    fn add_pin(&mut self, seq: u64) {
        *self.pins.entry(seq).or_insert(0) += 1;
    }

    fn release_pin(&mut self, seq: u64) {
        if let Some(count) = self.pins.get_mut(&seq) {
            *count -= 1;
            if *count == 0 {
                self.pins.remove(&seq);
            }
        }
    }

    /// Counts a new packet against the backlog of every disconnected session it is for; a session
    /// over its bound is dropped (its client will get a fresh session).
    fn count_missed(&mut self, entry: &Entry<P>) {
        let (max_packets, max_bytes) = (
            self.config.max_packets_per_session,
            self.config.max_bytes_per_session,
        );
        let mut over = Vec::new();
        for (pid, session) in &mut self.sessions {
            if selects(&session.rooms, &entry.opts) {
                session.missed_packets += 1;
                session.missed_bytes += entry.size;
                if session.missed_packets > max_packets || session.missed_bytes > max_bytes {
                    over.push(pid.clone());
                }
            }
        }
        for pid in over {
            self.remove_session(&pid);
        }
    }

    /// Drops the oldest packet because the log is full: the sessions that needed it are dropped,
    /// the claims that needed it lost.
    fn drop_front_at_limit(&mut self) {
        let Some(entry) = self.pop_front() else {
            return;
        };
        let lost: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, session)| {
                entry.seq > session.disconnect_seq && selects(&session.rooms, &entry.opts)
            })
            .map(|(pid, _)| pid.clone())
            .collect();
        for pid in lost {
            self.remove_session(&pid);
        }
        for claim in self.claims.values_mut() {
            if claim.needs(&entry) {
                claim.lost = true;
            }
        }
    }

    fn pop_front(&mut self) -> Option<Entry<P>> {
        let entry = self.log.pop_front()?;
        self.log_bytes -= entry.size;
        self.dropped_through = self.dropped_through.max(entry.seq);
        Some(entry)
    }
}

/// Whether a packet for `opts` reaches a socket in `rooms` (the reference's `shouldIncludePacket`).
fn selects(rooms: &[Room], opts: &BroadcastOptions) -> bool {
    let included = opts.rooms.is_empty() || rooms.iter().any(|room| opts.rooms.contains(room));
    included && !rooms.iter().any(|room| opts.except.contains(room))
}
