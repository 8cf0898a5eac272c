// SPDX-License-Identifier: GPL-2.0 OR MIT
//! make bench-native's crossbeam peer: crossbeam-epoch's pin+load+unpin,
//! defer_destroy() and the hash table of bench.h under it, crossbeam-queue's
//! ArrayQueue and SegQueue, measured as
//! userspace/bench/bench_native.c measures kovan, with the same output:
//!
//!   result SCENARIO IMPL THREADS VALUE UNIT
//!   pending SCENARIO IMPL THREADS N
//!   error SCENARIO IMPL THREADS: what
//!
//! bench-crossbeam -S read|retire|hash|queue|disruptor-TOPO-bBATCH -t THREADS [-s SECONDS]
//!                 [-I IMPL] [-F]
//!
//! The read scenario has a writer thread besides the readers, as in
//! bench_native.c: about every 100 us it swaps a fresh object (val 1) into
//! the published pointer and defer_destroy()s the old one; readers check
//! they read 1. It is pinned to the CPU after the readers' when there are
//! fewer readers than CPUs, and left unpinned otherwise.
//!
//! The Disruptor scenarios' anchor is a chain of ArrayQueues shaped like
//! bench_native's topology (userspace/bench/bench.h): a queue in front of
//! each handler thread, which forwards each event by value to the queue of
//! the next; in the diamond the producer pushes each event to h1's and
//! h2's queues and h3 takes one from each of theirs. The events, checks,
//! marks, timestamps and "latency" lines are bench_native's.
//!
//! -F proves the checks can fail, as bench_native -F does: each run loses
//! one free from the count and one popped item, the hash table holds an
//! entry that reads as freed, the writer's first object reads as freed
//! and stays published for 20 ms, and the Disruptor's event 1000 holds 1001.

use crossbeam_epoch::{self as epoch, Atomic, Owned};
use crossbeam_queue::{ArrayQueue, SegQueue};
use crossbeam_epoch::Guard;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const QUEUE_CAPACITY: usize = 4096;
const FREE_SLOTS: usize = 256;

const WRITER_PERIOD: Duration = Duration::from_micros(100);
const FAULT_HOLD: Duration = Duration::from_millis(20);
const PR_SET_TIMERSLACK: i32 = 29;

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

const CLOCK_MONOTONIC: i32 = 1;

extern "C" {
    fn sched_getaffinity(pid: i32, size: usize, mask: *mut u64) -> i32;
    fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32;
    fn prctl(option: i32, ...) -> i32;
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

fn allowed_cpus() -> Vec<usize> {
    let mut mask = [0u64; 16];
    let mut cpus = Vec::new();
    // SAFETY: the mask is 1024 bits, the size passed.
    if unsafe { sched_getaffinity(0, std::mem::size_of_val(&mask), mask.as_mut_ptr()) } == 0 {
        for c in 0..1024 {
            if mask[c / 64] & (1u64 << (c % 64)) != 0 {
                cpus.push(c);
            }
        }
    }
    if cpus.is_empty() {
        cpus.push(0);
    }
    cpus
}

fn pin_to(cpu: usize) {
    let mut mask = [0u64; 16];
    mask[cpu / 64] |= 1u64 << (cpu % 64);
    // SAFETY: as above; pid 0 is the calling thread.
    if unsafe { sched_setaffinity(0, std::mem::size_of_val(&mask), mask.as_ptr()) } != 0 {
        eprintln!("warning: cannot pin a thread to CPU {}", cpu);
    }
}

#[repr(align(64))]
struct Slot(AtomicU64);

static FREES: [Slot; FREE_SLOTS] = {
    const Z: Slot = Slot(AtomicU64::new(0));
    [Z; FREE_SLOTS]
};
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);
/// -F, and whether this run's fault is still to come.
static FAULT: AtomicBool = AtomicBool::new(false);
static FAULT_ARMED: AtomicBool = AtomicBool::new(false);

fn fault_now() -> bool {
    FAULT.load(Ordering::Relaxed) && FAULT_ARMED.swap(false, Ordering::Relaxed)
}

thread_local! {
    static MY_SLOT: usize = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % FREE_SLOTS;
}

fn frees() -> u64 {
    FREES.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
}

struct Obj {
    val: u64,
    _pad: [u64; 4],
}

impl Drop for Obj {
    fn drop(&mut self) {
        // What a reader of a freed object finds; volatile, so that the
        // store to memory about to be freed stays.
        // SAFETY: a valid, exclusively borrowed u64.
        unsafe { std::ptr::write_volatile(&mut self.val, 0) };
        // -F: one free is not counted.
        if !fault_now() {
            MY_SLOT.with(|s| FREES[*s].0.fetch_add(1, Ordering::Relaxed));
        }
    }
}

fn new_obj(val: u64) -> Obj {
    Obj { val, _pad: [0; 4] }
}

struct Run<'a> {
    scenario: &'a str,
    name: &'static str,
    threads: usize,
    errors: usize,
}

impl Run<'_> {
    fn error(&mut self, what: &str) {
        println!("error {} {} {}: {}", self.scenario, self.name, self.threads, what);
        self.errors += 1;
    }
}

/// The read scenario's writer: `writer(stop)` in a thread of its own, not
/// counted among the measured ones; returns how many objects it replaced.
type Writer<'a> = &'a (dyn Fn(&AtomicBool) -> u64 + Sync);

/// Runs `work(id, stop)` in `threads` pinned threads for `secs`, and the
/// writer if there is one; returns the operation counts and the time until
/// the stop (or until every thread ended, with `until_joined`), when the
/// measurement started, and the writer's count.
fn measure<F>(threads: usize, secs: f64, until_joined: bool, writer: Option<Writer>, work: F)
    -> (u64, f64, Instant, u64)
where
    F: Fn(usize, &AtomicBool) -> u64 + Sync,
{
    let cpus = allowed_cpus();
    let stop = AtomicBool::new(false);
    let ready = AtomicUsize::new(0);
    let go = AtomicBool::new(false);
    let mut elapsed = 0.0;
    let mut start = Instant::now();
    let mut written = 0;
    let total = std::thread::scope(|s| {
        let wh = writer.map(|w| {
            let (stop, ready, go, cpus) = (&stop, &ready, &go, &cpus);
            s.spawn(move || {
                if threads < cpus.len() {
                    pin_to(cpus[threads]);
                }
                // SAFETY: prctl(PR_SET_TIMERSLACK) takes an unsigned long.
                unsafe { prctl(PR_SET_TIMERSLACK, 1u64) };
                ready.fetch_add(1, Ordering::Release);
                while !go.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                w(stop)
            })
        });
        let handles: Vec<_> = (0..threads)
            .map(|id| {
                let (stop, ready, go, work, cpus) = (&stop, &ready, &go, &work, &cpus);
                s.spawn(move || {
                    pin_to(cpus[id % cpus.len()]);
                    ready.fetch_add(1, Ordering::Release);
                    while !go.load(Ordering::Acquire) {
                        std::hint::spin_loop();
                    }
                    work(id, stop)
                })
            })
            .collect();
        while ready.load(Ordering::Acquire) < threads + wh.is_some() as usize {
            std::thread::sleep(Duration::from_millis(1));
        }
        let t0 = Instant::now();
        start = t0;
        go.store(true, Ordering::Release);
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        elapsed = t0.elapsed().as_secs_f64();
        let total = handles.into_iter().map(|h| h.join().unwrap()).sum();
        if let Some(h) = wh {
            written = h.join().unwrap();
        }
        if until_joined {
            elapsed = t0.elapsed().as_secs_f64();
        }
        total
    });
    (total, elapsed, start, written)
}

/// Pins and flushes until every object retired since `base` frees were
/// counted is freed: crossbeam has no barrier, and the bags of exited
/// threads go to the global queue, collected by later pins.
fn drain(r: &mut Run, base: u64, retired: u64) {
    for _ in 0..1_000_000 {
        if frees() - base == retired {
            break;
        }
        epoch::pin().flush();
    }
    if frees() - base != retired {
        r.error(&format!("{} retired, {} freed after flushing", retired, frees() - base));
    }
}

fn read(r: &mut Run, secs: f64) {
    let shared = Atomic::new(new_obj(1));
    let bad = AtomicBool::new(false);
    let publish = |val| {
        let g = epoch::pin();
        let old = shared.swap(Owned::new(new_obj(val)), Ordering::AcqRel, &g);
        // SAFETY: unpublished; readers that loaded it are pinned.
        unsafe { g.defer_destroy(old) };
    };
    let writer = |stop: &AtomicBool| -> u64 {
        let mut n = 0;
        // -F: an object that reads as freed, published while readers run.
        if FAULT.load(Ordering::Relaxed) {
            publish(0);
            n += 1;
            let t = Instant::now();
            while t.elapsed() < FAULT_HOLD && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(WRITER_PERIOD);
            }
        }
        while !stop.load(Ordering::Relaxed) {
            publish(1);
            n += 1;
            std::thread::sleep(WRITER_PERIOD);
        }
        n
    };
    let base = frees();
    let (total, t, _, replaced) = measure(r.threads, secs, false, Some(&writer), |_, stop| {
        let (mut n, mut sum) = (0u64, 0u64);
        while !stop.load(Ordering::Relaxed) {
            let guard = epoch::pin();
            // SAFETY: retired only after it is unpublished; the guard keeps it.
            sum += unsafe { shared.load(Ordering::Acquire, &guard).deref() }.val;
            drop(guard);
            n += 1;
        }
        if sum != n {
            bad.store(true, Ordering::Relaxed);
        }
        n
    });
    if bad.load(Ordering::Relaxed) {
        r.error("a reader read a wrong value");
    }
    println!("replaced read {} {} {}", r.name, r.threads, replaced);
    if replaced == 0 {
        r.error("the writer replaced no object");
    }
    println!("pending read {} {} {}", r.name, r.threads, replaced - (frees() - base));
    drain(r, base, replaced);
    println!("result read {} {} {:.3} Mops/s/thread", r.name, r.threads,
             total as f64 / t / r.threads as f64 / 1e6);
    // SAFETY: every reader and the writer have ended; never retired.
    drop(unsafe { shared.into_owned() });
}

fn retire(r: &mut Run, secs: f64) {
    let retired = AtomicU64::new(0);
    let base = frees();
    let (total, t, t0, _) = measure(r.threads, secs, false, None, |_, stop| {
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let guard = epoch::pin();
            let o = Owned::new(new_obj(n)).into_shared(&guard);
            // SAFETY: never published.
            unsafe { guard.defer_destroy(o) };
            drop(guard);
            n += 1;
        }
        retired.fetch_add(n, Ordering::Relaxed);
        n
    });
    let retired = retired.load(Ordering::Relaxed);
    println!("pending retire {} {} {}", r.name, r.threads, retired - (frees() - base));
    drain(r, base, retired);
    println!("result retire {} {} {:.3} Mobjs/s", r.name, r.threads, total as f64 / t / 1e6);
    println!("result retire+drain {} {} {:.3} Mobjs/s", r.name, r.threads,
             total as f64 / t0.elapsed().as_secs_f64() / 1e6);
}

const HT_BUCKETS: usize = 1024;
const HT_KEYS: u64 = HT_BUCKETS as u64 * 8;
const HT_UPDATE_ONE_IN: u64 = 10;

struct Node {
    key: u64,
    obj: Obj,
    next: Atomic<Node>,
}

#[repr(align(128))]
struct Bucket {
    first: Atomic<Node>,
    lock: AtomicBool,
}

fn ht_bucket(t: &[Bucket], key: u64) -> &Bucket {
    &t[(key.wrapping_mul(0x9e3779b97f4a7c15) >> 54) as usize]
}

fn ht_lookup<'g>(b: &Bucket, key: u64, g: &'g Guard) -> Option<&'g Node> {
    let mut p = b.first.load(Ordering::Acquire, g);
    // SAFETY: nodes are retired with defer_destroy() after being unlinked.
    while let Some(n) = unsafe { p.as_ref() } {
        if n.key == key {
            return Some(n);
        }
        p = n.next.load(Ordering::Acquire, g);
    }
    None
}

fn rand(s: &mut u64) -> u64 {
    let mut x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    x
}

/// As bench.h's table: 1024 buckets, keys 0..8191 of which the even half is
/// present; updates replace an entry by a copy under the bucket's spinlock
/// with a SeqCst swap and defer_destroy() the old one.
fn hash(r: &mut Run, secs: f64) {
    let table: Vec<Bucket> = (0..HT_BUCKETS)
        .map(|_| Bucket { first: Atomic::null(), lock: AtomicBool::new(false) })
        .collect();
    {
        let g = epoch::pin();
        for key in (0..HT_KEYS).step_by(2) {
            let b = ht_bucket(&table, key);
            let n = Owned::new(Node { key, obj: new_obj(1), next: Atomic::null() });
            n.next.store(b.first.load(Ordering::Relaxed, &g), Ordering::Relaxed);
            b.first.store(n, Ordering::Release);
        }
        // -F: an entry that reads as freed, under an odd key, which no
        // update replaces; about one lookup in 9000 finds it.
        if FAULT.load(Ordering::Relaxed) {
            let b = ht_bucket(&table, 1);
            let n = Owned::new(Node { key: 1, obj: new_obj(0), next: Atomic::null() });
            n.next.store(b.first.load(Ordering::Relaxed, &g), Ordering::Relaxed);
            b.first.store(n, Ordering::Release);
        }
    }
    let retired = AtomicU64::new(0);
    let bad = AtomicU64::new(0);
    let base = frees();
    let (total, t, _, _) = measure(r.threads, secs, false, None, |id, stop| {
        let (mut n, mut ret, mut nbad) = (0u64, 0u64, 0u64);
        let mut seed = 0x2545f4914f6cdd1du64.wrapping_mul(id as u64 + 1);
        while !stop.load(Ordering::Relaxed) {
            let x = rand(&mut seed);
            let mut key = (x >> 16) % HT_KEYS;
            if x % HT_UPDATE_ONE_IN != 0 {
                let g = epoch::pin();
                if let Some(o) = ht_lookup(ht_bucket(&table, key), key, &g) {
                    if o.obj.val == 0 {
                        nbad += 1;
                    }
                }
                drop(g);
            } else {
                key &= !1;
                let b = ht_bucket(&table, key);
                let new = Owned::new(Node { key, obj: new_obj(x | 1), next: Atomic::null() });
                let g = epoch::pin();
                while b.lock.swap(true, Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                let mut pp = &b.first;
                loop {
                    let cur = pp.load(Ordering::Relaxed, &g);
                    // SAFETY: under the bucket lock; present keys stay present.
                    let c = unsafe { cur.deref() };
                    if c.key == key {
                        new.next.store(c.next.load(Ordering::Relaxed, &g), Ordering::Relaxed);
                        let old = pp.swap(new, Ordering::SeqCst, &g);
                        // SAFETY: unlinked; readers that hold it are pinned.
                        unsafe { g.defer_destroy(old) };
                        break;
                    }
                    pp = &c.next;
                }
                b.lock.store(false, Ordering::Release);
                drop(g);
                ret += 1;
            }
            n += 1;
        }
        retired.fetch_add(ret, Ordering::Relaxed);
        bad.fetch_add(nbad, Ordering::Relaxed);
        n
    });
    let retired = retired.load(Ordering::Relaxed);
    println!("pending hash {} {} {}", r.name, r.threads, retired - (frees() - base));
    drain(r, base, retired);
    if bad.load(Ordering::Relaxed) != 0 {
        r.error("a lookup found a freed entry");
    }
    println!("result hash {} {} {:.3} Mops/s", r.name, r.threads, total as f64 / t / 1e6);
    // SAFETY: every worker has ended.
    unsafe {
        let g = epoch::unprotected();
        for b in &table {
            let mut p = b.first.load(Ordering::Relaxed, g);
            while !p.is_null() {
                let next = p.deref().next.load(Ordering::Relaxed, g);
                drop(p.into_owned());
                p = next;
            }
        }
    }
}

trait Queue: Sync {
    fn push(&self, v: u64) -> bool;
    fn pop(&self) -> Option<u64>;
}

impl Queue for ArrayQueue<u64> {
    fn push(&self, v: u64) -> bool {
        ArrayQueue::push(self, v).is_ok()
    }
    fn pop(&self) -> Option<u64> {
        ArrayQueue::pop(self)
    }
}

impl Queue for SegQueue<u64> {
    fn push(&self, v: u64) -> bool {
        SegQueue::push(self, v);
        true
    }
    fn pop(&self) -> Option<u64> {
        SegQueue::pop(self)
    }
}

/// As bench_native.c's queue_work(): one thread pushes and pops in turn;
/// more are half producers, half consumers, which drain at the end.
fn queue<Q: Queue>(r: &mut Run, secs: f64, q: &Q) {
    let threads = r.threads;
    let producers = threads / 2;
    let pushed = (AtomicU64::new(0), AtomicU64::new(0));
    let popped = (AtomicU64::new(0), AtomicU64::new(0));
    let done = AtomicUsize::new(0);
    let (total, t, _, _) = measure(threads, secs, true, None, |id, stop| {
        let (mut n, mut sum, mut seq) = (0u64, 0u64, 0u64);
        if threads == 1 {
            let (mut pn, mut psum) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                seq += 1;
                let v = (1u64 << 40) | seq;
                if !q.push(v) {
                    break;
                }
                pn += 1;
                psum = psum.wrapping_add(v);
                if let Some(v) = q.pop() {
                    n += 1;
                    sum = sum.wrapping_add(v);
                }
            }
            while let Some(v) = q.pop() {
                n += 1;
                sum = sum.wrapping_add(v);
            }
            pushed.0.fetch_add(pn, Ordering::Relaxed);
            pushed.1.fetch_add(psum, Ordering::Relaxed);
        } else if id < producers {
            'outer: while !stop.load(Ordering::Relaxed) {
                seq += 1;
                let v = ((id as u64 + 1) << 40) | seq;
                while !q.push(v) {
                    if stop.load(Ordering::Relaxed) {
                        break 'outer;
                    }
                    std::thread::yield_now();
                }
                n += 1;
                sum = sum.wrapping_add(v);
            }
            pushed.0.fetch_add(n, Ordering::Relaxed);
            pushed.1.fetch_add(sum, Ordering::Relaxed);
            done.fetch_add(1, Ordering::Release);
            return 0;
        } else {
            loop {
                if let Some(v) = q.pop() {
                    n += 1;
                    sum = sum.wrapping_add(v);
                    continue;
                }
                if done.load(Ordering::Acquire) == producers {
                    while let Some(v) = q.pop() {
                        n += 1;
                        sum = sum.wrapping_add(v);
                    }
                    break;
                }
                std::thread::yield_now();
            }
        }
        // -F: the consumers' accounting loses an item.
        if n > 0 && fault_now() {
            n -= 1;
            sum = sum.wrapping_sub(1);
        }
        popped.0.fetch_add(n, Ordering::Relaxed);
        popped.1.fetch_add(sum, Ordering::Relaxed);
        n
    });
    let (pn, ps) = (pushed.0.load(Ordering::Relaxed), pushed.1.load(Ordering::Relaxed));
    let (cn, cs) = (popped.0.load(Ordering::Relaxed), popped.1.load(Ordering::Relaxed));
    if pn != cn || ps != cs {
        r.error(&format!("{} items pushed (sum {}), {} popped (sum {})", pn, ps, cn, cs));
    }
    println!("result queue {} {} {:.3} Mitems/s", r.name, threads, total as f64 / t / 1e6);
}

/// The Disruptor scenarios' shapes, as bench.h's.
#[derive(Clone, Copy, PartialEq)]
enum Topology {
    OneOne,
    OneThree,
    Diamond,
}

const DIS_RING: usize = 1024;
const DIS_MAX_HANDLERS: usize = 3;
const DIS_MAX_HOPS: usize = 4;
const DIS_SAMPLE_MASK: u64 = 255;
const DIS_FAULT_SEQ: u64 = 1000;
const DIS_MAX_SAMPLES: usize = 1 << 19;
/// Spins between two yields of a thread that waits, as kovan's shim
/// cpu_relax() yields every 64th time.
const DIS_SPINS: u32 = 64;

#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Event {
    seq: u64,
    by: [u64; DIS_MAX_HANDLERS],
    t: [u64; DIS_MAX_HANDLERS + 1],
}

struct Shape {
    topology: Topology,
    handlers: usize,
    batch: u64,
    /// Per handler: the handlers it comes after, a bit each.
    deps: [u32; DIS_MAX_HANDLERS],
    hops: &'static [&'static str],
}

fn dis_parse(scenario: &str) -> Option<Shape> {
    let rest = scenario.strip_prefix("disruptor-")?;
    let (topo, batch) = rest.split_once("-b")?;
    let batch = match batch {
        "1" => 1,
        "64" => 64,
        _ => return None,
    };
    let (topology, handlers, deps, hops): (_, _, _, &'static [&'static str]) = match topo {
        "1p1c" => (Topology::OneOne, 1, [0, 0, 0], &["p-h1"]),
        "1p3c" => (Topology::OneThree, 3, [0, 1, 2], &["p-h1", "h1-h2", "h2-h3", "p-h3"]),
        "diamond" => (Topology::Diamond, 3, [0, 0, 3], &["p-h1", "p-h2", "h1h2-h3", "p-h3"]),
        _ => return None,
    };
    Some(Shape { topology, handlers, batch, deps, hops })
}

fn now_ns() -> u64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: a valid timespec to write.
    unsafe { clock_gettime(CLOCK_MONOTONIC, &mut ts) };
    ts.sec as u64 * 1_000_000_000 + ts.nsec as u64
}

fn sampled(seq: u64) -> bool {
    seq & DIS_SAMPLE_MASK == 0
}

/// A pause, and a yield every DIS_SPINS: on shared cores the thread waited
/// for may need this one's CPU.
fn backoff(spins: &mut u32) {
    std::hint::spin_loop();
    *spins += 1;
    if *spins % DIS_SPINS == 0 {
        std::thread::yield_now();
    }
}

fn push_wait(q: &ArrayQueue<Event>, mut e: Event, spins: &mut u32) {
    while let Err(back) = q.push(e) {
        e = back;
        backoff(spins);
    }
}

/// The next event of @q, or None once @upstream is done and @q is empty.
fn pop_wait(q: &ArrayQueue<Event>, upstream: &AtomicBool, spins: &mut u32) -> Option<Event> {
    loop {
        if let Some(e) = q.pop() {
            return Some(e);
        }
        // Acquire: the upstream's pushes come before its done flag.
        if upstream.load(Ordering::Acquire) {
            return q.pop();
        }
        backoff(spins);
    }
}

/// Per-hop latencies of the sampled events, as the last handler saw them.
struct Samples {
    hops: Vec<Vec<u32>>,
    n: usize,
}

impl Samples {
    fn new() -> Self {
        // Written now, not zero pages: a page fault would show in the latencies.
        Samples { hops: (0..DIS_MAX_HOPS).map(|_| vec![u32::MAX; DIS_MAX_SAMPLES]).collect(), n: 0 }
    }

    fn record(&mut self, topology: Topology, e: &Event, now: u64) {
        if self.n == DIS_MAX_SAMPLES {
            return;
        }
        let hop = match topology {
            Topology::OneOne => [now - e.t[0], 0, 0, 0],
            Topology::OneThree => [e.t[1] - e.t[0], e.t[2] - e.t[1], now - e.t[2], now - e.t[0]],
            Topology::Diamond => [e.t[1] - e.t[0], e.t[2] - e.t[0], now - e.t[1].max(e.t[2]),
                                  now - e.t[0]],
        };
        for (v, h) in self.hops.iter_mut().zip(hop) {
            v[self.n] = h.min(u32::MAX as u64) as u32;
        }
        self.n += 1;
    }

    /// The nearest-rank percentile @q, as bench_native computes it.
    fn percentile(v: &[u32], q: f64) -> u32 {
        let rank = (q * v.len() as f64 + 0.999999) as usize;
        v[rank.max(1) - 1]
    }

    fn print(&mut self, r: &Run, shape: &Shape) {
        let n = self.n;
        if n == 0 {
            return;
        }
        for (name, v) in shape.hops.iter().zip(self.hops.iter_mut()) {
            let v = &mut v[..n];
            v.sort_unstable();
            println!("latency {} {} {} {} {} {} {} {}", r.scenario, r.name, name,
                     Samples::percentile(v, 0.5), Samples::percentile(v, 0.99),
                     Samples::percentile(v, 0.999), v[n - 1], n);
        }
    }
}

/// The Disruptor scenarios' anchor: thread 0 produces, threads 1..3 are
/// the handlers h1..h3, with a queue in front of each (two in front of the
/// diamond's h3). Throughput is the events every handler handled over the
/// time until the last handler ended.
fn disruptor(r: &mut Run, secs: f64, shape: &Shape) {
    let nq = if shape.topology == Topology::Diamond { 4 } else { shape.handlers };
    let queues: Vec<ArrayQueue<Event>> = (0..nq).map(|_| ArrayQueue::new(DIS_RING)).collect();
    // done[0]: the producer pushed its last event; done[h + 1]: handler h.
    let done: Vec<AtomicBool> = (0..=shape.handlers).map(|_| AtomicBool::new(false)).collect();
    let produced = AtomicU64::new(0);
    let handled: Vec<AtomicU64> = (0..shape.handlers).map(|_| AtomicU64::new(0)).collect();
    let bad = AtomicBool::new(false);
    let samples = Mutex::new(Samples::new());
    let bad_seq = if FAULT.load(Ordering::Relaxed) { DIS_FAULT_SEQ } else { u64::MAX };
    let diamond = shape.topology == Topology::Diamond;
    let check = |e: &Event, seq: u64, h: usize| {
        e.seq == seq
            && (0..DIS_MAX_HANDLERS).all(|i| shape.deps[h] & (1 << i) == 0 || e.by[i] == seq)
    };
    let (total, t, _, _) = measure(1 + shape.handlers, secs, true, None, |id, stop| {
        let mut spins = 0u32;
        if id == 0 {
            let mut buf = [Event::default(); 64];
            let mut seq = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for (i, e) in buf[..shape.batch as usize].iter_mut().enumerate() {
                    let s = seq + i as u64;
                    e.seq = if s == bad_seq { s + 1 } else { s };
                    if sampled(s) {
                        e.t[0] = now_ns();
                    }
                }
                for e in &buf[..shape.batch as usize] {
                    push_wait(&queues[0], *e, &mut spins);
                    if diamond {
                        push_wait(&queues[1], *e, &mut spins);
                    }
                }
                seq += shape.batch;
            }
            produced.store(seq, Ordering::Relaxed);
            done[0].store(true, Ordering::Release);
            return 0;
        }
        let h = id - 1;
        let last = h == shape.handlers - 1;
        // Where handler h pops from and pushes to, and whose done flags say
        // its input ended.
        let (input, up, output) = match (shape.topology, h) {
            (Topology::Diamond, 0) => (0, 0, Some(2)),
            (Topology::Diamond, 1) => (1, 0, Some(3)),
            (Topology::Diamond, _) => (2, 1, None),
            (_, _) => (h, h, if last { None } else { Some(h + 1) }),
        };
        let mut guard = if last { Some(samples.lock().unwrap()) } else { None };
        let (mut n, mut nbad) = (0u64, 0u64);
        while let Some(mut e) = pop_wait(&queues[input], &done[up], &mut spins) {
            let seq = n;
            n += 1;
            if diamond && last {
                // h2's copy of the event: its mark and timestamp join h1's.
                match pop_wait(&queues[3], &done[2], &mut spins) {
                    Some(b) => {
                        if b.seq != seq {
                            nbad += 1;
                        }
                        e.by[1] = b.by[1];
                        e.t[2] = b.t[2];
                    }
                    None => break,
                }
            }
            if !check(&e, seq, h) {
                nbad += 1;
            }
            if sampled(seq) {
                let now = now_ns();
                match guard.as_mut() {
                    Some(s) => s.record(shape.topology, &e, now),
                    None => e.t[h + 1] = now,
                }
            }
            if let Some(o) = output {
                e.by[h] = seq;
                push_wait(&queues[o], e, &mut spins);
            }
        }
        // Events h2 forwarded beyond h1's would leave it waiting for room.
        while diamond && last && pop_wait(&queues[3], &done[2], &mut spins).is_some() {
            nbad += 1;
        }
        handled[h].store(n, Ordering::Relaxed);
        if nbad > 0 {
            bad.store(true, Ordering::Relaxed);
        }
        done[h + 1].store(true, Ordering::Release);
        if last { n } else { 0 }
    });
    let produced = produced.load(Ordering::Relaxed);
    if bad.load(Ordering::Relaxed) {
        r.error("a handler found an event out of sequence or not marked");
    } else if handled.iter().any(|c| c.load(Ordering::Relaxed) != produced) {
        r.error("a handler did not handle every event");
    }
    println!("result {} {} {} {:.3} Mevents/s", r.scenario, r.name, r.threads,
             total as f64 / t / 1e6);
    samples.lock().unwrap().print(r, shape);
}

fn usage() -> ! {
    eprintln!("usage: bench-crossbeam -S read|retire|hash|queue|disruptor-1p1c|1p3c|diamond-b1|b64 \
               -t THREADS [-s SECONDS] [-I IMPL] [-F]");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mut scenario, mut threads, mut secs, mut only) = (String::new(), 1usize, 0.5f64, None);
    let mut i = 1;
    while i < args.len() {
        if args[i] == "-F" {
            FAULT.store(true, Ordering::Relaxed);
            i += 1;
            continue;
        }
        let val = args.get(i + 1).unwrap_or_else(|| usage());
        match args[i].as_str() {
            "-S" => scenario = val.clone(),
            "-t" => threads = val.parse().unwrap_or_else(|_| usage()),
            "-s" => secs = val.parse().unwrap_or_else(|_| usage()),
            "-I" => only = Some(val.clone()),
            _ => usage(),
        }
        i += 2;
    }
    if scenario.is_empty() || threads == 0 || secs <= 0.0 {
        usage();
    }
    if let Some(shape) = dis_parse(&scenario) {
        let name = "crossbeam-arrayq-chain";
        if only.as_deref().map_or(false, |o| o != name) {
            std::process::exit(0);
        }
        // The topology sets the threads, as in bench_native.
        let mut r = Run { scenario: &scenario, name, threads: 1 + shape.handlers, errors: 0 };
        disruptor(&mut r, secs, &shape);
        std::process::exit(if r.errors > 0 { 1 } else { 0 });
    }
    let impls: &[(&str, &str)] = &[
        ("read", "crossbeam-epoch"),
        ("retire", "crossbeam-epoch"),
        ("hash", "crossbeam-epoch"),
        ("queue", "crossbeam-arrayq"),
        ("queue", "crossbeam-segq"),
    ];
    let mut errors = 0;
    for &(s, name) in impls {
        if s != scenario || only.as_deref().map_or(false, |o| o != name) {
            continue;
        }
        let mut r = Run { scenario: s, name, threads, errors: 0 };
        FAULT_ARMED.store(true, Ordering::Relaxed);
        match name {
            "crossbeam-arrayq" => queue(&mut r, secs, &ArrayQueue::<u64>::new(QUEUE_CAPACITY)),
            "crossbeam-segq" => queue(&mut r, secs, &SegQueue::<u64>::new()),
            _ if s == "read" => read(&mut r, secs),
            _ if s == "hash" => hash(&mut r, secs),
            _ => retire(&mut r, secs),
        }
        errors += r.errors;
    }
    std::process::exit(if errors > 0 { 1 } else { 0 });
}
