//! Address-engine benchmarks (SPEC §12): `cargo bench --bench addr`.
//!
//! Each benchmark states in its name what one iteration does; per-operation costs are the
//! reported time divided by the element count (criterion prints it as throughput).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipam::addr::{Allocator, Family, Prefix, nearest_containers, overlaps};

fn p(s: &str) -> Prefix {
    s.parse().expect("valid prefix")
}

fn slash8() -> Allocator {
    Allocator::build(Family::V4, [p("10.0.0.0/8")], []).expect("valid")
}

/// 20,000 /24s, every other one taken, from the bottom of 10.0.0.0/8.
fn fragmented() -> Vec<Prefix> {
    (0..20_000u128)
        .map(|i| Prefix::new(Family::V4, 0x0a00_0000 + (i << 9), 24).expect("aligned"))
        .collect()
}

/// Deterministic pseudo-random IPv4 CIDRs, lengths /16 to /28 (xorshift, fixed seed).
fn random_cidrs(n: usize) -> Vec<Prefix> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 16 + (x >> 59) as u8 % 13;
            let addr = u128::from((x >> 16) as u32);
            let host = 32 - u32::from(len);
            Prefix::new(Family::V4, addr >> host << host, len).expect("aligned")
        })
        .collect()
}

fn allocator(c: &mut Criterion) {
    let mut g = c.benchmark_group("allocator");
    g.sample_size(20).measurement_time(Duration::from_secs(8));

    g.throughput(Throughput::Elements(65_536));
    g.bench_function("fill /8 with 65536 /24s", |b| {
        b.iter_batched(
            slash8,
            |mut a| {
                for _ in 0..65_536 {
                    black_box(a.allocate(24).expect("fits"));
                }
                a
            },
            BatchSize::LargeInput,
        )
    });

    let taken = fragmented();
    g.throughput(Throughput::Elements(taken.len() as u64));
    g.bench_function("build from 20000 fragmented /24s", |b| {
        b.iter(|| Allocator::build(Family::V4, [p("10.0.0.0/8")], taken.iter().copied()))
    });

    let built = Allocator::build(Family::V4, [p("10.0.0.0/8")], taken).expect("valid");
    g.throughput(Throughput::Elements(1));
    g.bench_function("/23 past 20000 holes", |b| {
        b.iter_batched_ref(
            || built.clone(),
            |a| black_box(a.allocate(23).expect("fits")),
            BatchSize::LargeInput,
        )
    });

    g.bench_function("acquire+release /24 in empty /8", |b| {
        let mut a = slash8();
        b.iter(|| {
            let block = a.allocate(24).expect("fits");
            a.release(black_box(block)).expect("taken");
        })
    });

    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("1000000 /64s from 2001:db8::/32", |b| {
        b.iter_batched(
            || Allocator::build(Family::V6, [p("2001:db8::/32")], []).expect("valid"),
            |mut a| {
                for _ in 0..1_000_000 {
                    black_box(a.allocate(64).expect("fits"));
                }
                a
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn overlap(c: &mut Criterion) {
    let mut g = c.benchmark_group("overlap");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(1_000_000));
    let cidrs = random_cidrs(1_000_000);
    g.bench_function("sweep 1000000 random IPv4 CIDRs", |b| {
        b.iter(|| overlaps(black_box(&cidrs)).len())
    });
    g.bench_function("nearest containers of 1000000 random IPv4 CIDRs", |b| {
        b.iter(|| nearest_containers(black_box(&cidrs)).len())
    });
    let text: Vec<String> = cidrs.iter().map(Prefix::to_string).collect();
    g.bench_function("parse 1000000 IPv4 CIDRs", |b| {
        b.iter(|| {
            text.iter()
                .map(|s| s.parse::<Prefix>().expect("valid"))
                .fold(0u128, |acc, p| acc ^ p.start())
        })
    });
    g.finish();
}

criterion_group!(benches, allocator, overlap);
criterion_main!(benches);
