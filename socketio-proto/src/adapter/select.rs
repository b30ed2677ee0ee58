//! `Selection`: the recipients of a broadcast, computed lazily from the index.

use super::id::{Room, SocketId};
use super::rooms::Rooms;
use super::set::{Iter, SmallSet};
use alloc::vec::Vec;
use hashbrown::{HashSet, hash_map};

/// Up to this many target rooms, a recipient is deduplicated by looking it up in the rooms already
/// visited; beyond, a set of the recipients seen so far is cheaper than that many lookups.
const SCAN_DEDUP_MAX_ROOMS: usize = 4;

/// The sockets selected by [`Rooms::select`] / [`Rooms::sockets_in`], each exactly once, in no
/// particular order.
///
/// Target and excluded rooms are resolved once up front (allocating only when there are several);
/// after that, a recipient costs an iteration step, one check per excluded room (a plain comparison
/// when that room holds a single socket, as for an excluded sender) and, with several target rooms, a
/// check that no earlier room already produced it. Only with more than a few target rooms is a set of
/// the recipients kept.
#[derive(Clone, Debug)]
pub struct Selection<'a> {
    source: Source<'a>,
    except: Except<'a>,
}

impl<'a> Selection<'a> {
    pub(crate) fn new<'q>(
        index: &'a Rooms,
        rooms: impl IntoIterator<Item = &'q Room>,
        except: impl IntoIterator<Item = &'q Room>,
    ) -> Self {
        let resolve = |room: &Room| index.rooms.get(room);
        let except = Except::new(except.into_iter().filter_map(resolve).fuse());
        let mut rooms = rooms.into_iter().peekable();
        let source = if rooms.peek().is_none() {
            Source::Everyone(index.sockets.keys())
        } else {
            Source::new(rooms.filter_map(resolve).fuse())
        };
        Selection { source, except }
    }
}

/// The excluded sockets, with the common cases (nobody; one socket, as for an excluded sender) apart
/// so they cost nothing or one comparison per recipient.
#[derive(Clone, Debug)]
enum Except<'a> {
    Nobody,
    One(&'a SocketId),
    Rooms(Vec<&'a SmallSet<SocketId>>),
}

impl<'a> Except<'a> {
    fn new(mut rooms: impl Iterator<Item = &'a SmallSet<SocketId>>) -> Self {
        match (rooms.next(), rooms.next()) {
            (None, _) => Except::Nobody,
            (Some(SmallSet::One(sid)), None) => Except::One(sid),
            (Some(first), second) => {
                let mut all = Vec::from_iter([first]);
                all.extend(second);
                all.extend(rooms);
                Except::Rooms(all)
            }
        }
    }

    #[inline]
    fn contains(&self, sid: &SocketId) -> bool {
        match self {
            Except::Nobody => false,
            Except::One(excluded) => *excluded == sid,
            Except::Rooms(rooms) => rooms.iter().any(|members| members.contains(sid)),
        }
    }
}

#[derive(Clone, Debug)]
enum Source<'a> {
    Everyone(hash_map::Keys<'a, SocketId, SmallSet<Room>>),
    /// A single existing target room (or none): no recipient can repeat.
    Room(Iter<'a, SocketId>),
    Rooms {
        /// Largest first, so most recipients come from the room that needs no duplicate check.
        targets: Vec<&'a SmallSet<SocketId>>,
        /// Index in `targets` of the room being walked.
        position: usize,
        current: Iter<'a, SocketId>,
        /// Recipients produced so far, kept only when there are many target rooms.
        seen: Option<HashSet<&'a SocketId>>,
    },
}

impl<'a> Source<'a> {
    /// Walks the existing target rooms.
    fn new(mut found: impl Iterator<Item = &'a SmallSet<SocketId>>) -> Self {
        let (first, second) = match (found.next(), found.next()) {
            (None, _) => return Source::Room(Iter::empty()),
            (Some(only), None) => return Source::Room(only.iter()),
            (Some(first), Some(second)) => (first, second),
        };
        let mut targets = Vec::from_iter([first, second]);
        targets.extend(found);
        // The same room may be named twice (`sockets_in` takes any list): drop repeats by identity.
        targets.sort_unstable_by_key(|members| {
            (
                core::cmp::Reverse(members.len()),
                *members as *const SmallSet<SocketId> as usize,
            )
        });
        targets.dedup_by(|a, b| core::ptr::eq(*a, *b));
        if let [only] = targets.as_slice() {
            return Source::Room(only.iter());
        }
        let current = targets[0].iter();
        let seen = (targets.len() > SCAN_DEDUP_MAX_ROOMS).then(|| {
            // Sized for every member up front: growing it step by step would rehash it many times.
            HashSet::with_capacity(targets.iter().map(|members| members.len()).sum())
        });
        Source::Rooms {
            targets,
            position: 0,
            current,
            seen,
        }
    }
}

impl<'a> Iterator for Selection<'a> {
    type Item = &'a SocketId;

    #[inline]
    fn next(&mut self) -> Option<&'a SocketId> {
        loop {
            let sid = match &mut self.source {
                Source::Everyone(sockets) => sockets.next()?,
                Source::Room(members) => members.next()?,
                Source::Rooms {
                    targets,
                    position,
                    current,
                    seen,
                } => {
                    let Some(sid) = current.next() else {
                        *position += 1;
                        *current = targets.get(*position)?.iter();
                        continue;
                    };
                    let repeated = match seen {
                        Some(seen) => !seen.insert(sid),
                        None => targets[..*position]
                            .iter()
                            .any(|members| members.contains(sid)),
                    };
                    if repeated {
                        continue;
                    }
                    sid
                }
            };
            if !self.except.contains(sid) {
                return Some(sid);
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let upper = match &self.source {
            Source::Everyone(sockets) => sockets.len(),
            Source::Room(members) => members.len(),
            Source::Rooms {
                targets,
                position,
                current,
                ..
            } => targets
                .iter()
                .skip(*position + 1)
                .fold(current.len(), |sum, members| {
                    sum.saturating_add(members.len())
                }),
        };
        (0, Some(upper))
    }
}

impl core::iter::FusedIterator for Selection<'_> {}
