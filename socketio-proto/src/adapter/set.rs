//! A set that stores zero or one element without allocating.

use core::hash::Hash;
use hashbrown::{Equivalent, HashSet};

/// Smallest table worth shrinking; below this the memory kept is negligible.
const SHRINK_MIN_CAPACITY: usize = 64;

/// A set optimised for the overwhelmingly common sizes zero and one.
///
/// Every socket sits alone in its own-id room, and a fresh socket is in exactly that one room, so a
/// connect or a disconnect allocates nothing beyond the index's two map slots. An excluded sender's
/// own-id room is a `One`, so excluding it costs one comparison per recipient instead of a hash lookup.
#[derive(Clone, Debug)]
pub(crate) enum SmallSet<T> {
    Empty,
    One(T),
    Many(HashSet<T>),
}

impl<T: Hash + Eq> SmallSet<T> {
    /// Adds `value`; `false` if it was already present.
    pub(crate) fn insert(&mut self, value: T) -> bool {
        match self {
            SmallSet::Empty => {
                *self = SmallSet::One(value);
                true
            }
            SmallSet::One(existing) if *existing == value => false,
            SmallSet::One(_) => {
                let SmallSet::One(existing) = core::mem::replace(self, SmallSet::Empty) else {
                    unreachable!("matched One above");
                };
                let mut set = HashSet::with_capacity(2);
                set.insert(existing);
                set.insert(value);
                *self = SmallSet::Many(set);
                true
            }
            SmallSet::Many(set) => set.insert(value),
        }
    }

    /// Removes `value`; `false` if it was absent.
    pub(crate) fn remove<Q>(&mut self, value: &Q) -> bool
    where
        Q: Hash + Equivalent<T> + ?Sized,
    {
        match self {
            SmallSet::One(existing) if value.equivalent(existing) => {
                *self = SmallSet::Empty;
                true
            }
            SmallSet::Empty | SmallSet::One(_) => false,
            SmallSet::Many(set) => {
                let removed = set.remove(value);
                // A room that once held thousands of sockets should not keep their table forever;
                // shrinking only when mostly empty keeps join/leave churn from reallocating.
                if removed
                    && set.capacity() >= SHRINK_MIN_CAPACITY
                    && set.len() * 8 < set.capacity()
                {
                    set.shrink_to(set.len() * 2);
                }
                removed
            }
        }
    }

    #[inline]
    pub(crate) fn contains<Q>(&self, value: &Q) -> bool
    where
        Q: Hash + Equivalent<T> + ?Sized,
    {
        match self {
            SmallSet::Empty => false,
            SmallSet::One(existing) => value.equivalent(existing),
            SmallSet::Many(set) => set.contains(value),
        }
    }
}

impl<T> SmallSet<T> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        match self {
            SmallSet::Empty => 0,
            SmallSet::One(_) => 1,
            SmallSet::Many(set) => set.len(),
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub(crate) fn iter(&self) -> Iter<'_, T> {
        match self {
            SmallSet::Empty => Iter(IterInner::Few(None)),
            SmallSet::One(value) => Iter(IterInner::Few(Some(value))),
            SmallSet::Many(set) => Iter(IterInner::Many(set.iter())),
        }
    }
}

/// Iterator over the elements of a room or of a socket's room list, in no particular order.
#[derive(Clone, Debug)]
pub struct Iter<'a, T>(IterInner<'a, T>);

#[derive(Clone, Debug)]
enum IterInner<'a, T> {
    Few(Option<&'a T>),
    Many(hashbrown::hash_set::Iter<'a, T>),
}

impl<T> Iter<'_, T> {
    /// An iterator over nothing.
    pub(crate) fn empty() -> Self {
        Iter(IterInner::Few(None))
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        match &mut self.0 {
            IterInner::Few(value) => value.take(),
            IterInner::Many(iter) => iter.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterInner::Few(value) => {
                let len = usize::from(value.is_some());
                (len, Some(len))
            }
            IterInner::Many(iter) => iter.size_hint(),
        }
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn grows_from_empty_to_one_to_many_and_back() {
        let mut set = SmallSet::Empty;
        assert!(set.insert(1));
        assert!(matches!(set, SmallSet::One(1)));
        assert!(!set.insert(1));
        assert!(set.insert(2));
        assert!(matches!(set, SmallSet::Many(_)));
        assert_eq!(set.len(), 2);
        let mut items: Vec<_> = set.iter().copied().collect();
        items.sort();
        assert_eq!(items, [1, 2]);
        assert!(set.remove(&1));
        assert!(!set.remove(&1));
        assert!(set.contains(&2) && !set.contains(&1));
        assert!(set.remove(&2));
        assert!(set.is_empty());
        assert_eq!(set.iter().count(), 0);
    }

    #[test]
    fn one_removes_only_its_value() {
        let mut set = SmallSet::One(7);
        assert!(!set.remove(&8));
        assert!(set.contains(&7));
        assert!(set.remove(&7));
        assert!(matches!(set, SmallSet::Empty));
    }

    #[test]
    fn a_drained_large_set_releases_its_table() {
        let mut set = SmallSet::Empty;
        for i in 0..10_000 {
            set.insert(i);
        }
        for i in 1..10_000 {
            assert!(set.remove(&i));
        }
        let SmallSet::Many(inner) = &set else {
            panic!("expected a table");
        };
        assert!(inner.capacity() < 256, "capacity {}", inner.capacity());
        assert!(set.contains(&0));
        assert_eq!(set.len(), 1);
    }
}
