//! Spreading CPU work (signature checks, JSON) over the cores, results in input order.
//!
//! What it must not do: lose an item's place, or let one panicking item take the others
//! with it unsaid (its whole part comes back as `None`, for the caller to decide).

/// `each` of every item, on up to four threads (one for fewer than 16 items); `None` for the
/// items of a thread that panicked.
pub(crate) fn map_on_cores<T: Send, R: Send>(
    items: Vec<T>,
    each: impl Fn(T) -> R + Sync,
) -> Vec<Option<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 4);
    if threads == 1 || items.len() < 16 {
        return items.into_iter().map(|item| Some(each(item))).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let mut parts: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items.into_iter().peekable();
    while rest.peek().is_some() {
        parts.push(rest.by_ref().take(per_thread).collect());
    }
    let each = &each;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                let len = part.len();
                let handle = scope.spawn(move || part.into_iter().map(each).collect::<Vec<R>>());
                (handle, len)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(handle, len)| match handle.join() {
                Ok(done) => done.into_iter().map(Some).collect::<Vec<_>>(),
                Err(_) => (0..len).map(|_| None).collect(),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_their_order_and_a_panicking_part_is_none() {
        let squares = map_on_cores((0..100u64).collect(), |n| n * n);
        assert_eq!(
            squares,
            (0..100u64).map(|n| Some(n * n)).collect::<Vec<_>>()
        );
        assert_eq!(map_on_cores(vec![3], |n: i32| n + 1), vec![Some(4)]);
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        if threads > 1 {
            let out = map_on_cores((0..64).collect(), |n: usize| {
                assert!(n != 0, "the first part's thread panics");
                n
            });
            assert_eq!(out.len(), 64);
            assert_eq!(out[0], None);
            assert_eq!(out[63], Some(63));
        }
    }
}
