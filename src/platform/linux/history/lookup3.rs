//! Bob Jenkins' lookup3 `hashlittle2`, the hash of journal files written before systemd 246
//! (or with `SYSTEMD_JOURNAL_KEYED_HASH=0`): needed to find a field in their hash table.
//! Written from the algorithm's public-domain description; the byte-wise variant, which
//! gives the same values as the word-wise ones on little-endian machines.

fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

fn word(bytes: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    w[..bytes.len()].copy_from_slice(bytes);
    u32::from_le_bytes(w)
}

/// `hashlittle2(key, len, &pc, &pb)`: returns `(c, b)`.
pub fn hashlittle2(key: &[u8], pc: u32, pb: u32) -> (u32, u32) {
    let init = 0xdead_beef_u32
        .wrapping_add(key.len() as u32)
        .wrapping_add(pc);
    let (mut a, mut b, mut c) = (init, init, init.wrapping_add(pb));
    let mut k = key;
    while k.len() > 12 {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
        k = &k[12..];
    }
    if k.is_empty() {
        return (c, b);
    }
    a = a.wrapping_add(word(&k[..k.len().min(4)]));
    if k.len() > 4 {
        b = b.wrapping_add(word(&k[4..k.len().min(8)]));
    }
    if k.len() > 8 {
        c = c.wrapping_add(word(&k[8..]));
    }
    final_mix(&mut a, &mut b, &mut c);
    (c, b)
}

/// systemd's `jenkins_hash64`: the two halves of `hashlittle2` from zero seeds.
pub fn jenkins_hash64(data: &[u8]) -> u64 {
    let (c, b) = hashlittle2(data, 0, 0);
    (u64::from(c) << 32) | u64::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values lookup3.c's own self-test (`driver5`) prints.
    #[test]
    fn reference_values() {
        assert_eq!(hashlittle2(b"", 0, 0), (0xdeadbeef, 0xdeadbeef));
        assert_eq!(hashlittle2(b"", 0, 0xdeadbeef), (0xbd5b7dde, 0xdeadbeef));
        assert_eq!(
            hashlittle2(b"", 0xdeadbeef, 0xdeadbeef),
            (0x9c093ccd, 0xbd5b7dde)
        );
        let four = b"Four score and seven years ago";
        assert_eq!(hashlittle2(four, 0, 0), (0x17770551, 0xce7226e6));
        assert_eq!(hashlittle2(four, 0, 1), (0xe3607cae, 0xbd371de4));
        assert_eq!(hashlittle2(four, 1, 0), (0xcd628161, 0x6cbea4b3));
    }
}
