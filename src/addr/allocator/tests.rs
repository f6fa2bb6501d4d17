//! The allocator's unit tests: first fit, claims, releases, capacity classes, counts.

use super::*;

fn p(s: &str) -> Prefix {
    s.parse().expect("valid prefix")
}

fn pool(roots: &[&str]) -> Allocator {
    let roots: Vec<Prefix> = roots.iter().map(|r| p(r)).collect();
    Allocator::build(roots[0].family(), roots, []).expect("valid pool")
}

#[test]
fn taken_set_handles_out_of_order_blocks_and_reuse() {
    let mut t = TakenSet::default();
    for start in [10, 20, 30] {
        t.insert(start, 24);
    }
    t.remove(20); // a tombstone in the middle of the log
    assert_eq!(t.get(20), None);
    t.insert(20, 25); // below the top: goes to the map
    assert_eq!(t.get(20), Some(25));
    t.insert(5, 24);
    assert_eq!(t.sorted(), vec![(5, 24), (10, 24), (20, 25), (30, 24)]);
    t.remove(30);
    t.remove(20);
    assert_eq!(t.sorted(), vec![(5, 24), (10, 24)]);
    t.insert(40, 24);
    assert_eq!(t.get(40), Some(24));
    assert_eq!(t.get(30), None);
}

#[test]
fn first_fit_in_address_order() {
    let mut a = pool(&["10.0.0.0/16"]);
    assert_eq!(a.allocate(24), Ok(p("10.0.0.0/24")));
    assert_eq!(a.allocate(20), Ok(p("10.0.16.0/20")));
    assert_eq!(a.allocate(24), Ok(p("10.0.1.0/24")));
    assert_eq!(a.allocate(23), Ok(p("10.0.2.0/23")));
    assert_eq!(a.used().to_u128(), Some(256 + 4096 + 256 + 512));
    assert_eq!(a.free().to_u128(), Some(65536 - 256 - 4096 - 256 - 512));
}

#[test]
fn claim_names_the_block_it_collides_with() {
    let mut a = pool(&["10.0.0.0/16"]);
    a.claim(p("10.0.4.0/22")).expect("free");
    assert_eq!(
        a.claim(p("10.0.5.0/24")),
        Err(AllocError::Taken {
            cidr: p("10.0.5.0/24"),
            other: p("10.0.4.0/22")
        })
    );
    assert_eq!(
        a.claim(p("10.0.0.0/20")),
        Err(AllocError::Taken {
            cidr: p("10.0.0.0/20"),
            other: p("10.0.4.0/22")
        })
    );
    assert_eq!(
        a.claim(p("10.1.0.0/24")),
        Err(AllocError::OutsidePool {
            cidr: p("10.1.0.0/24")
        })
    );
    assert_eq!(
        a.claim(p("10.0.0.0/15")),
        Err(AllocError::OutsidePool {
            cidr: p("10.0.0.0/15")
        })
    );
    // First fit skips the claimed block.
    assert_eq!(a.allocate(22), Ok(p("10.0.0.0/22")));
    assert_eq!(a.allocate(22), Ok(p("10.0.8.0/22")));
}

#[test]
fn release_coalesces_back_to_the_root() {
    let mut a = pool(&["10.0.0.0/16"]);
    let blocks: Vec<Prefix> = (0..256).map(|_| a.allocate(24).expect("fits")).collect();
    assert!(a.allocate(32).is_err());
    for b in blocks.iter().rev() {
        a.release(*b).expect("taken");
    }
    assert_eq!(a.free_blocks(), vec![p("10.0.0.0/16")]);
    assert_eq!(a.used(), AddrCount::ZERO);
    assert_eq!(
        a.release(blocks[0]),
        Err(AllocError::NotTaken { cidr: blocks[0] })
    );
}

#[test]
fn never_merges_across_provisioned_cidrs() {
    let mut a = pool(&["10.0.0.0/9", "10.128.0.0/9"]);
    assert_eq!(a.free_blocks(), vec![p("10.0.0.0/9"), p("10.128.0.0/9")]);
    assert!(matches!(
        a.allocate(8),
        Err(AllocError::Exhausted { netmask: 8, largest_free: Some(l) }) if l == p("10.0.0.0/9")
    ));
    let x = a.allocate(10).expect("fits");
    a.release(x).expect("taken");
    assert_eq!(a.free_blocks(), vec![p("10.0.0.0/9"), p("10.128.0.0/9")]);
}

#[test]
fn exhaustion_reports_the_largest_free_block() {
    let mut a = pool(&["192.168.0.0/24"]);
    a.claim(p("192.168.0.0/25")).expect("free");
    a.claim(p("192.168.0.192/26")).expect("free");
    let err = a.allocate(25).unwrap_err();
    assert_eq!(
        err,
        AllocError::Exhausted {
            netmask: 25,
            largest_free: Some(p("192.168.0.128/26"))
        }
    );
    assert_eq!(
        err.to_string(),
        "no free /25 left; the largest free block is 192.168.0.128/26"
    );
    a.allocate(26).expect("fits");
    assert_eq!(
        a.allocate(32).unwrap_err().to_string(),
        "no free /32 left; the pool is full"
    );
}

#[test]
fn whole_spaces_and_host_routes() {
    let mut v4 = pool(&["0.0.0.0/0"]);
    assert_eq!(v4.allocate(0), Ok(p("0.0.0.0/0")));
    assert_eq!(v4.free(), AddrCount::ZERO);
    v4.release(p("0.0.0.0/0")).expect("taken");
    assert_eq!(v4.claim(p("255.255.255.255/32")), Ok(()));
    assert_eq!(v4.allocate(32), Ok(p("0.0.0.0/32")));
    assert_eq!(v4.free_blocks().len(), 62);

    let mut v6 = pool(&["::/0"]);
    assert_eq!(v6.total(), AddrCount::pow2(128));
    assert_eq!(
        v6.claim(p("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")),
        Ok(())
    );
    assert_eq!(v6.allocate(128), Ok(p("::/128")));
    assert_eq!(
        v6.allocate(1),
        Err(AllocError::Exhausted {
            netmask: 1,
            largest_free: Some(p("4000::/2"))
        })
    );
    assert_eq!(v6.allocate(2), Ok(p("4000::/2")));
    assert_eq!(v6.release(p("::/128")), Ok(()));
    assert_eq!(v6.release(p("4000::/2")), Ok(()));
    assert_eq!(v6.allocate(1), Ok(p("::/1")));
}
