/*
 * SPDX-License-Identifier: GPL-2.0 OR MIT
 *
 * Promela model of kovan's two-phase read side (kovan/reclaim.c, the
 * inline kovan_pin()/kovan_unpin() of kovan/kovan.h), checked with spin by
 * scripts/model.sh (make model; make check runs the reduced sizes).
 *
 *   pin:    p = phase of the slot read; pins[s][p]++; smp_mb() (A)
 *   unpin:  release (B); unpins[s][p]++ (the pinning CPU's own counter, or
 *           the slot's remote counter after a migration: one sum here)
 *   close:  unpublish; smp_mb() (C); per slot: unpins of both phases, then
 *           pins of both (J): equal is idle, the closer pays the share;
 *           busy: the batch waits for a whole engine cycle that starts
 *           after the close
 *   engine: a cycle: wait until the phase pins do not use has drained;
 *           flip; wait until the phase they used has drained; pay the
 *           slot's share of the batches it took
 *
 * reclaim.c takes a slot's waiting list at the start of a cycle; here a
 * batch records the cycle it waits for as rcu_seq_snap() would, seq odd
 * while a cycle runs and snap = (seq + 3) & ~1: the same cycles. One
 * engine process per slot stands for whoever runs it (reclaim.c lets one
 * caller at a time: KOVAN_SLOT_RUNNING). MIGRATE lets a pin read the phase
 * of one slot and count in another, which reclaim.c rules out (preemption
 * is off there): a stronger check.
 *
 * Sequential consistency: every step is one atomic statement, so the full
 * fences A and C and the release B are implicit. Not modelled: store
 * buffers for the fenceless accesses (the release increment of unpin, the
 * wait hint of M), the wait hint, kicks and the backstop timer (an engine
 * here polls), robust mode (era skip, stall marks, moves), the
 * RUNNING/PENDING protocol between runners.
 *
 * Checked (spin 6.5.2, -DSAFETY -DCOLLAPSE, 2026-12-03):
 *   -DNSLOTS=1 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2            verified, 5.4e4 states
 *   -DNSLOTS=1 -DNREADERS=2 -DNOBJ=3 -DROUNDS=1            verified, 6.6e5
 *   -DNSLOTS=2 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1 (MIGRATE)  verified, 1.1e6 (1.3e6)
 *   -DNSLOTS=2 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2 -DMIGRATE=1 verified, 1.3e6
 *   -DNSLOTS=2 -DNREADERS=2 -DNOBJ=3 -DROUNDS=1 -DMIGRATE=1 verified, 3.3e7
 *   mutations 1 and 2 caught with NSLOTS=1 NOBJ=3 (either reader shape:
 *   they need a reader that read the phase two flips ago), 3 and 4 with
 *   NSLOTS=2 NREADERS=2 NOBJ=2 ROUNDS=1.
 *
 * Properties: safety (no object freed while a guard that loaded it is
 * pinned), liveness (everything retired is freed once the readers are
 * gone). MUTATION 1: the batch takes the cycle under way (snap = seq + 1
 * when odd); 2: no wait for the unused phase before the flip; 3: the idle
 * check reads pins before unpins; 4: no wait for the used phase after the
 * flip.
 */

#ifndef NSLOTS
#define NSLOTS		2
#endif
#ifndef NREADERS
#define NREADERS	2
#endif
#ifndef NOBJ
#define NOBJ		3
#endif
#ifndef ROUNDS
#define ROUNDS		2
#endif
/*
 * Counters modulo CNT, as the kernel's are modulo 2^BITS_PER_LONG: equal
 * sums mean idle while fewer than CNT guards are pinned in a slot. seq
 * modulo SEQ, compared as rcu_seq does.
 */
#ifndef CNT
#define CNT		4
#endif
#define SEQ		16
#ifndef MIGRATE
#define MIGRATE		0
#endif
#define MUT(n)		(MUTATION == n)
#ifndef MUTATION
#define MUTATION	0
#endif

#define UNUSED	0
#define LIVE	1
#define RETIRED	2
#define FREED	3

byte pins[NSLOTS * 2];
byte unpins[NSLOTS * 2];
byte gen[NSLOTS];
byte seq[NSLOTS];
byte root;
byte state[NOBJ];
byte refs[NOBJ];
byte snap[NOBJ * NSLOTS];	/* the slot's seq that frees the batch, */
bool wait[NOBJ * NSLOTS];	/* if it waits on the slot at all */
byte readers_left = NREADERS;
bool updater_done;

#define P(s, p)		((s) * 2 + (p))

inline pin(s, p)
{
	if
	:: MIGRATE -> select(s : 0 .. NSLOTS - 1); p = gen[s] & 1; select(s : 0 .. NSLOTS - 1)
	:: else -> select(s : 0 .. NSLOTS - 1); p = gen[s] & 1
	fi;
	pins[P(s, p)] = (pins[P(s, p)] + 1) % CNT
}

inline unpin(s, p)
{
	unpins[P(s, p)] = (unpins[P(s, p)] + 1) % CNT
}

proctype reader()
{
	byte s, p, o, r;

	for (r : 1 .. ROUNDS) {
		pin(s, p);
		o = root;
		assert(state[o] != FREED);
		assert(state[o] != FREED);	/* still in use, later */
		unpin(s, p)
	}
	readers_left--
}

/* Sum of both phases, read one counter at a time as the closer does. */
inline idle(s, u, l)
{
	if
	:: MUT(3) ->
		l = pins[P(s, 0)]; l = (l + pins[P(s, 1)]) % CNT;
		u = unpins[P(s, 0)]; u = (u + unpins[P(s, 1)]) % CNT
	:: else ->
		u = unpins[P(s, 0)]; u = (u + unpins[P(s, 1)]) % CNT;
		l = pins[P(s, 0)]; l = (l + pins[P(s, 1)]) % CNT
	fi
}

inline free_if_done(o)
{
	if
	:: refs[o] == 0 -> state[o] = FREED
	:: else
	fi
}

proctype updater()
{
	byte o, s, u, l;

	for (o : 1 .. NOBJ - 1) {
		state[o] = LIVE;
		atomic { refs[o - 1] = 1 };	/* the closer's own hold */
		root = o;
		state[o - 1] = RETIRED;
		for (s : 0 .. NSLOTS - 1) {
			idle(s, u, l);
			if
			:: u == l -> skip
			:: else ->
				atomic {
					refs[o - 1]++;
					wait[(o - 1) * NSLOTS + s] = true;
					if
					:: MUT(1) && (seq[s] & 1) -> snap[(o - 1) * NSLOTS + s] = (seq[s] + 1) % SEQ
					:: else -> snap[(o - 1) * NSLOTS + s] = ((seq[s] + 3) & ~1) % SEQ
					fi
				}
			fi
		}
		atomic { refs[o - 1]--; free_if_done(o - 1) }
	}
	updater_done = true
}

/* Poll until phase q of slot s has drained: unpins first, then pins. */
inline drained(s, q, u, l)
{
	do
	:: u = unpins[P(s, q)];
		l = pins[P(s, q)];
		if
		:: u == l -> break
		:: else
		fi
	od
}

inline waiting(s, o, w)
{
	w = false;
	for (o : 0 .. NOBJ - 1) {
		if
		:: wait[o * NSLOTS + s] -> w = true
		:: else
		fi
	}
}

proctype engine(byte s)
{
	byte u, l, o, g;
	bool w;

	do
	:: atomic {
			waiting(s, o, w);
			if
			:: !w && updater_done && readers_left == 0 -> break
			:: else
			fi
		}
		if
		:: w ->
			seq[s] = (seq[s] + 1) % SEQ;
			g = gen[s];
			if
			:: MUT(2) -> gen[s] = 1 - gen[s]; drained(s, g & 1, u, l)
			:: MUT(4) -> drained(s, (g + 1) & 1, u, l); gen[s] = 1 - gen[s]
			:: else -> drained(s, (g + 1) & 1, u, l); gen[s] = 1 - gen[s]; drained(s, g & 1, u, l)
			fi;
			seq[s] = (seq[s] + 1) % SEQ;
			for (o : 0 .. NOBJ - 1) {
				atomic {
					if
					:: wait[o * NSLOTS + s] &&
					   (seq[s] + SEQ - snap[o * NSLOTS + s]) % SEQ < SEQ / 2 ->
						wait[o * NSLOTS + s] = false;
						refs[o]--;
						free_if_done(o)
					:: else
					fi
				}
			}
		:: else
		fi
	od
}

init {
	byte i;

	state[0] = LIVE;
	atomic {
		for (i : 1 .. NREADERS) { run reader() };
		run updater();
		for (i : 0 .. NSLOTS - 1) { run engine(i) }
	}
	/* Liveness, as far as a safety run sees it: all gone, all freed. */
	_nr_pr == 1;
	for (i : 0 .. NOBJ - 2) { assert(state[i] == FREED) }
}
