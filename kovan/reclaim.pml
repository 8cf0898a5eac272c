/*
 * SPDX-License-Identifier: GPL-2.0 OR MIT
 *
 * Promela model of kovan's two-phase read side (kovan/reclaim.c, the
 * inline kovan_pin()/kovan_unpin() of <kovan/kovan.h>), checked with spin by
 * scripts/model.sh (make model; make check runs the reduced sizes).
 * Barrier letters are reclaim.c's.
 *
 *   pin:     p = phase of the slot; pins[s][p]++ (buffered); smp_mb() (A)
 *   fenceless pin (KOVAN_FENCELESS, FENCELESS=1): p = phase;
 *            pins[s][p]++ (buffered); if (!unfenced) { unfenced = 1;
 *            smp_mb(); }; then the load
 *   unpin:   the wait hint read; unpins[s][p]++ (buffered; B, a release:
 *            on x86 a compiler barrier); a kick when hint == p + 1
 *   close:   unpublish; smp_mb() (C); fenceless: every reader CPU's flag
 *            (acquire), an IPI to each that had it set, waited for; per
 *            slot: unpins of both phases, then pins of both (J): idle,
 *            the closer pays the share (and runs a parked engine); busy,
 *            the batch goes on the slot's list and the closer runs its
 *            engine (kovan_engine_try())
 *   IPI:     on the reader's CPU, between any two of its steps:
 *            smp_store_release(unfenced, 0); smp_mb()
 *   engine:  kovan_engine_try(): PENDING set, RUNNING taken by one runner,
 *            PENDING cleared, kovan_engine_run(), RUNNING released, the
 *            backstop armed if the run parked or the slot is listed,
 *            PENDING looked at again. kovan_engine_run(): IDLE takes the
 *            waiting batches; UNUSED waits for the phase pins do not use,
 *            flips; OLD waits for the old phase, pays. A wait that finds
 *            readers lists the slot, stores the hint, smp_mb() (M), looks
 *            again, and parks
 *   runners: the closers (inline), the engine work (kovan_engine_fn(): the
 *            listed slots, each unlisted and tried), queued by kicks and
 *            by the backstop timer, which fires at some point once armed
 *
 * Memory model: x86-TSO. Every reader CPU and every slot engine has a
 * FIFO store buffer, drained one entry at a time at any moment by the
 * flusher; a load sees its own CPU's newest buffered store of the cell
 * first. smp_mb() and locked instructions (test_and_set_bit(), clear_bit(),
 * llist_add()/llist_del_all(), queue_work(), the refs RMW) drain the
 * issuing CPU's buffer; a fence is merged into the access right after it
 * (sound: the flusher can always drain earlier). Buffered are the
 * fenceless stores: the pin's increment (before A, or for good in a
 * fenceless pin whose flag is set), the unpin's release increment, the
 * engine's wait hint (before M) and its clear, the flip (before K), the
 * fenceless pin's flag (before its smp_mb()). The engine's buffer is one
 * per slot, for whichever runner holds RUNNING: taking and releasing it
 * are locked. The closer's unpublishing store is not buffered: C follows
 * it at once, and a load that passes it in the buffer is the same as a
 * load put before it, which is how MUTATION 7 moves the flag reads.
 * Weaker models (arm64: B and J as real fences) are not modelled.
 *
 * Abstractions:
 * - One object per batch, closed at once by the closer that retired it;
 *   freed when its last share is paid (earlier than the reclaim worker).
 *   A closer k owns root[k] and objects k * NOBJ ..; readers load any root.
 * - Reader c is CPU c, with one task; it counts in slot c % NSLOTS, so with
 *   more readers than slots, readers of different CPUs count in one slot
 *   with their own buffers (more reorderings than real, a stronger check).
 *   MIGRATE: a pin reads the phase of any slot, then counts in its own,
 *   as if it migrated in between (kovan_pin() has preemption off).
 *   Remote counts (atomics: locked, hence ordered) are not modelled.
 * - The IPI handler is a process per reader CPU that runs atomically
 *   between two of the reader's steps, as an interrupt does.
 * - The engine work's extra looks after M are left out: nothing orders
 *   them, they add chances, not behaviours. The list of parked slots is a
 *   mask; the work takes it whole when it starts (its pending bit cleared
 *   and llist_del_all() in one step).
 * - Counters modulo CNT = 4: more than the readers a slot ever holds.
 * - The last use of an object and the unpin's hint read are one step:
 *   the object cannot be freed between them, that needs the count.
 * - A CPU's unfenced flag starts clear, or set with UNFENCED=1 (a pin
 *   before the model starts, its stores landed, no IPI since): the
 *   fenceless path without a first round. Idle CPUs that did not pin
 *   since the last IPI have the flag clear and get no IPI: by design.
 *
 * Properties: safety: a reader's uses of the object it loaded (just after
 * the load and just before the unpin) find it not freed; liveness: when
 * nothing can move any more (timeout: every reader and closer done, every
 * buffer drained, no work queued, no timer armed), every retired object
 * has been freed. A lost wake-up ends there with an object parked for
 * good, which the final assertion reports (no never claim needed).
 *
 * MUTATION=n seeds a bug (scripts/model.sh checks that spin reports it):
 *   1  the cycle under way also serves batches closed during it
 *   2  no wait for the unused phase before the flip
 *   3  the idle check reads pins before unpins
 *   4  no wait for the old phase after the flip
 *   5  no A after the pin's increment (it stays buffered over the load)
 *   6  no release B: the unpin's increment before the last use. On TSO a
 *      store cannot pass an earlier load, so the weaker order is modelled
 *      as the increment put first in program order
 *   7  fenceless: the closer reads the flags before its fence C
 *   8  no backstop timer: a lost kick leaves a batch parked (liveness:
 *      an unpin whose count passes the hint in its buffer, M)
 *   9  the runner does not look at PENDING after releasing RUNNING: a
 *      batch pushed meanwhile is left unserved (liveness)
 *   10 fenceless: the closer skips the IPI to CPU 0 though its flag is set
 *   11 fenceless: the pin reads its flag before its increment
 *   12 fenceless: the IPI handler clears the flag with a plain store and
 *      no smp_mb(): the increments stay in the buffer behind it
 *
 * Checked (spin 6.5.2, -DSAFETY -DCOLLAPSE, gcc -O2, 2 cores, 2026-12-03;
 * make model 6:39 in all and --reduced 1:13, each beside a make check):
 *   TSO, NSLOTS=1 NREADERS=1 NOBJ=3 ROUNDS=2                   2.4e6 states, 10 s
 *   TSO, NSLOTS=1 NREADERS=2 NOBJ=3 ROUNDS=1                   2.6e7, 87 s
 *   TSO, NSLOTS=2 NREADERS=2 NOBJ=2 ROUNDS=1 MIGRATE=1         1.6e7, 46 s
 *   FENCELESS, NSLOTS=1 NREADERS=1 NOBJ=3 ROUNDS=2             4.7e6, 15 s
 *   FENCELESS UNFENCED, NSLOTS=1 NREADERS=2 NOBJ=2 ROUNDS=1    6.3e6, 24 s
 *   FENCELESS UNFENCED, NCLOSERS=2 NSLOTS=1 NREADERS=1 NOBJ=2 ROUNDS=1
 *                                                              2.8e7, 71 s
 *   FENCELESS UNFENCED, NSLOTS=2 NREADERS=2 NOBJ=2 ROUNDS=1 MIGRATE=1
 *                                                              3.9e7, 105 s
 *   all verified; every mutation caught (model.sh lists the sizes), 3 with
 *   NSLOTS=1 NREADERS=2 (two readers in one slot), 11 with UNFENCED=1
 *   (it needs a flag set before the close that IPIs).
 *
 * Not modelled: robust mode (era skip, stall marks, moves), NMI and
 * irq_work, remote (atomic) counts and guards that unpin on another CPU,
 * kovan_barrier(), the flush worker and partly filled batches, domain
 * destroy, CPU hotplug, weaker memory models than TSO.
 */

#ifndef NSLOTS
#define NSLOTS		1	/* slots; reader c counts in slot c % NSLOTS */
#endif
#ifndef NREADERS
#define NREADERS	1	/* reader CPUs, one reader task each */
#endif
#ifndef NCLOSERS
#define NCLOSERS	1	/* closer CPUs, each with its own root */
#endif
#ifndef NOBJ
#define NOBJ		3	/* objects per closer; the first published at start */
#endif
#ifndef ROUNDS
#define ROUNDS		2	/* read-side sections per reader */
#endif
#ifndef MIGRATE
#define MIGRATE		0	/* a pin reads the phase of any slot */
#endif
#ifndef FENCELESS
#define FENCELESS	0	/* the domain has KOVAN_FENCELESS */
#endif
#ifndef UNFENCED
#define UNFENCED	0	/* FENCELESS: the readers' CPUs start with the flag set */
#endif
#ifndef DEPTH
#define DEPTH		4	/* store buffer entries per CPU */
#endif
#ifndef CNT
#define CNT		4	/* counters modulo CNT, as the kernel's modulo 2^64 */
#endif
#ifndef MUTATION
#define MUTATION	0
#endif
#define MUT(n)		(MUTATION == n)

#define UNUSED_OBJ	0
#define LIVE		1
#define RETIRED		2
#define FREED		3
#define NOBJT		(NCLOSERS * NOBJ)	/* at most 8: batches are byte masks */

/*
 * Memory cells written by fenceless stores, each a byte of mem[]: a
 * phase's local and remote counters are one cell (only their sum is read,
 * remote increments are locked and this model has none), the phase, the
 * wait hint, and the readers' CPUs' unfenced flags.
 */
#define PINS(s, p)	(2 * (s) + (p))
#define UNPINS(s, p)	(2 * NSLOTS + 2 * (s) + (p))
#define PHASE(s)	(4 * NSLOTS + (s))
#define WAIT(s)		(5 * NSLOTS + (s))
#define UNF(c)		(6 * NSLOTS + (c))
#define NCELLS		(6 * NSLOTS + NREADERS)
#define HOME(c)		((c) % NSLOTS)

/*
 * Store buffers: one per reader CPU, one per slot engine (whoever runs it:
 * RUNNING is taken and released with locked instructions, which drain the
 * runner's buffer, so the engine's stores never outlive a run). An entry
 * is cell * 4 + value, value 0..2, or INC (3): add one modulo CNT.
 */
#define NB		(NREADERS + NSLOTS)
#define EB(s)		(NREADERS + (s))
#define INC		3
#define CELL(e)		((e) >> 2)
#define VAL(e)		((e) & 3)

byte mem[NCELLS];
byte sb[NB * DEPTH];
byte sbn[NB];
byte sbi;			/* scratch of the d_steps, 0 between them */
byte sbr;

byte root[NCLOSERS];
byte state[NOBJT];
byte refs[NOBJT];		/* shares not yet paid (the closer's hold: one) */

/* Engines, per slot. Batches are masks of objects (one object a batch). */
#define IDLE		0	/* KOVAN_STEP_IDLE */
#define STEP_UNUSED	1	/* KOVAN_STEP_UNUSED */
#define STEP_OLD	2	/* KOVAN_STEP_OLD */
byte waiting[NSLOTS];
byte serving[NSLOTS];
byte step[NSLOTS];
bool running[NSLOTS];		/* KOVAN_SLOT_RUNNING */
bool pending[NSLOTS];		/* KOVAN_SLOT_PENDING */
bool queued[NSLOTS];		/* KOVAN_SLOT_QUEUED */
byte listed;			/* kovan_engine_list, a mask of slots */
bool work_pending;		/* kovan_engine_work queued */
bool armed;			/* kovan_backstop_armed: the timer will fire */
byte ipi[NREADERS];		/* IPIs to a reader CPU, a mask of closers */

/* --- store buffers (x86-TSO); raw bodies, used inside d_step --- */

/* The oldest entry of buffer c reaches memory. */
inline _flush1(c)
{
	sbr = sb[(c) * DEPTH];
	if
	:: VAL(sbr) == INC -> mem[CELL(sbr)] = (mem[CELL(sbr)] + 1) % CNT
	:: else -> mem[CELL(sbr)] = VAL(sbr)
	fi;
	sbi = 1;
	do
	:: sbi < sbn[c] -> sb[(c) * DEPTH + sbi - 1] = sb[(c) * DEPTH + sbi]; sbi++
	:: else -> break
	od;
	sbn[c]--;
	sb[(c) * DEPTH + sbn[c]] = 0;
	sbi = 0;
	sbr = 0
}

/* smp_mb() or a locked instruction: buffer c drains first. */
inline _drain(c)
{
	do
	:: sbn[c] > 0 -> _flush1(c)
	:: else -> break
	od
}

/* A load by CPU c: its own newest buffered store of the cell wins. */
inline _rd(c, v, r)
{
	r = mem[v];
	sbi = 0;
	do
	:: sbi < sbn[c] ->
		sbr = sb[(c) * DEPTH + sbi];
		if
		:: CELL(sbr) == (v) && VAL(sbr) == INC -> r = (r + 1) % CNT
		:: CELL(sbr) == (v) && VAL(sbr) != INC -> r = VAL(sbr)
		:: else
		fi;
		sbi++
	:: else -> break
	od;
	sbi = 0;
	sbr = 0
}

/* A store without fence or lock: WRITE_ONCE(), this_cpu_inc(). */
inline _wr(c, v, x)
{
	assert(sbn[c] < DEPTH);		/* no store lost to the model's size */
	sb[(c) * DEPTH + sbn[c]] = (v) * 4 + (x);
	sbn[c]++
}

/* Buffers drain one entry at a time, in order, at any moment. */
proctype flusher()
{
end_flush:
	do
	:: d_step { sbn[0] > 0 -> _flush1(0) }
#if NB > 1
	:: d_step { sbn[1] > 0 -> _flush1(1) }
#endif
#if NB > 2
	:: d_step { sbn[2] > 0 -> _flush1(2) }
#endif
#if NB > 3
	:: d_step { sbn[3] > 0 -> _flush1(3) }
#endif
#if NB > 4
#error "more store buffers than the flusher serves"
#endif
	od
}

/* --- readers --- */

/* One nondeterministic step: v = 0 or, when n > 1, 1. */
inline pick(v, n)
{
	if
	:: v = 0
	:: n > 1 -> v = 1
	fi
}

inline queue_work(c)
{
	d_step { _drain(c); work_pending = true }	/* test_and_set_bit(): locked */
}

proctype reader(byte c)
{
	byte k, s, p, o, w, f, r;

	for (r : 1 .. ROUNDS) {
		pick(k, NCLOSERS);
		/* pin: the phase, then the increment (A after it, or the flag) */
		if
		:: MIGRATE -> pick(s, NSLOTS)
		:: else -> s = HOME(c)
		fi;
		d_step { _rd(c, PHASE(s), p); s = HOME(c) };
#if FENCELESS
		if
		:: MUT(11) ->
			d_step { _rd(c, UNF(c), f) };
			d_step { _wr(c, PINS(s, p), INC) }
		:: else ->
			d_step { _wr(c, PINS(s, p), INC) };
			d_step { _rd(c, UNF(c), f) }
		fi;
		/* The flag set and smp_mb(), merged into the load after them */
		d_step {
			if
			:: f == 0 -> _wr(c, UNF(c), 1); _drain(c)
			:: else
			fi;
			o = root[k];
			assert(state[o] != FREED);
			f = 0
		};
#else
		d_step { _wr(c, PINS(s, p), INC) };
		/* A, merged into the load that follows it; the first use of o */
		d_step {
			if
			:: !MUT(5) -> _drain(c)
			:: else
			fi;
			o = root[k];
			assert(state[o] != FREED)
		};
#endif
		/*
		 * The last use of o, then kovan_unpin(): the wait hint read
		 * without a fence, the increment (buffered; B is a compiler
		 * barrier on x86 and TSO keeps it after the loads before it),
		 * the kick. The last use and the hint read are one step: o can
		 * not be freed between them, that needs the count.
		 */
		if
		:: MUT(6) ->
			/*
			 * B lost: on TSO a store cannot pass an earlier load, so
			 * the weaker order is modelled by putting the increment
			 * before the last use in program order.
			 */
			d_step { _rd(c, WAIT(s), w) };
			d_step { _wr(c, UNPINS(s, p), INC) };
			d_step { assert(state[o] != FREED) }
		:: else ->
			d_step { assert(state[o] != FREED); _rd(c, WAIT(s), w) };
			d_step { _wr(c, UNPINS(s, p), INC) }
		fi;
		if
		:: w == p + 1 -> queue_work(c)		/* kovan_kick_engine() */
		:: else
		fi;
		atomic { k = 0; s = 0; p = 0; o = 0; w = 0 }
	}
}

/*
 * The IPI handler of the fenceless closers on reader CPU c, run at any
 * point of c's reader, atomically: smp_store_release(unfenced, 0);
 * smp_mb(). MUTATION 12: a plain store and no mb.
 */
proctype handler(byte c)
{
end_handler:
	do
	:: d_step {
		ipi[c] != 0 ->
		if
		:: MUT(12) -> _wr(c, UNF(c), 0)
		:: else -> _wr(c, UNF(c), 0); _drain(c)
		fi;
		ipi[c] = 0
	}
	od
}

/* --- engines: kovan_engine_try(), kovan_engine_run() --- */

/* kovan_drained(): unpins (J), smp_mb() (K), pins. */
inline drained(s, q, u, l, r)
{
	d_step { u = mem[UNPINS(s, q)] };
	d_step { _drain(EB(s)); l = mem[PINS(s, q)]; r = (u == l); u = 0; l = 0 }
}

/*
 * kovan_engine_drained(): one look; when it finds readers, the hint (a
 * buffered store), smp_mb() (M, merged into the second look's first
 * read), one more look. The engine work's further looks are left out:
 * nothing orders them, so they add no behaviour, only chances.
 */
inline engine_drained(s, q, u, l, r)
{
	drained(s, q, u, l, r);
	if
	:: !r ->
		d_step {	/* kovan_list_slot(), before the hint: locked */
			_drain(EB(s));
			if
			:: !queued[s] -> queued[s] = true; listed = listed | (1 << s)
			:: else
			fi
		};
		d_step { _wr(EB(s), WAIT(s), q + 1) };
		d_step { _drain(EB(s)); u = mem[UNPINS(s, q)] };
		d_step { _drain(EB(s)); l = mem[PINS(s, q)]; r = (u == l); u = 0; l = 0 }
	:: else
	fi;
	if
	:: r -> d_step {
			_rd(EB(s), WAIT(s), u);
			if
			:: u != 0 -> _wr(EB(s), WAIT(s), 0)
			:: else
			fi;
			u = 0
		}
	:: else
	fi
}

/* Pay the slot's share of every batch its cycle served; zero frees. */
inline pay(s, i)
{
	d_step {
		_drain(EB(s));		/* D: locked */
		i = 0;
		do
		:: i == NOBJT -> break
		:: else ->
			if
			:: serving[s] & (1 << i) ->
				refs[i]--;
				if
				:: refs[i] == 0 -> state[i] = FREED
				:: else
				fi
			:: else
			fi;
			i++
		od;
		i = 0;
		serving[s] = 0
	}
}

inline engine_run(s, parked, q, u, l, r)
{
	do
	:: step[s] == IDLE ->
		d_step {	/* llist_del_all(): locked */
			_drain(EB(s));
			serving[s] = waiting[s];
			waiting[s] = 0;
			if
			:: serving[s] != 0 -> step[s] = STEP_UNUSED
			:: else
			fi
		};
		if
		:: step[s] == IDLE -> parked = false; break
		:: else
		fi
	:: step[s] == STEP_UNUSED ->
		d_step { _rd(EB(s), PHASE(s), q); q = 1 - q };
		if
		:: MUT(2) -> r = true		/* no wait for the unused phase */
		:: else -> engine_drained(s, q, u, l, r)
		fi;
		if
		:: !r -> parked = true; break
		:: else ->
			d_step { _wr(EB(s), PHASE(s), q); step[s] = STEP_OLD; q = 0; r = 0 }
		fi
	:: step[s] == STEP_OLD ->
		d_step { _rd(EB(s), PHASE(s), q); q = 1 - q };
		if
		:: MUT(4) -> r = true		/* no wait for the old phase */
		:: else -> engine_drained(s, q, u, l, r)
		fi;
		if
		:: !r -> parked = true; break
		:: else ->
			d_step {
				step[s] = IDLE;
				q = 0;
				r = 0;
				if
				:: MUT(1) ->	/* the cycle under way serves a later batch */
					serving[s] = serving[s] | waiting[s];
					waiting[s] = 0
				:: else
				fi
			};
			pay(s, u)
		fi
	od;
	q = 0	/* no d_step right after a loop: spin cannot jump into one */
}

/*
 * kovan_engine_try(): PENDING asks, RUNNING lets one runner at a time; the
 * runner runs again when it finds PENDING after its release. A run that
 * parked, or left the slot listed, arms the backstop (MUTATION 8: it never
 * does). The slot was listed before the hint, so a kick's work that comes
 * while the run is under way finds it and sets PENDING.
 * MUTATION 9: no second look at PENDING after the release.
 */
inline engine_try(s, parked, q, u, l, r)
{
	d_step { pending[s] = true };		/* set_bit(); smp_mb__after_atomic() */
	do
	:: !pending[s] -> break
	:: else ->
		d_step { r = running[s]; running[s] = true };	/* test_and_set_bit() */
		if
		:: r -> r = false; break
		:: else
		fi;
		d_step { pending[s] = false };
		engine_run(s, parked, q, u, l, r);
		d_step { _drain(EB(s)); running[s] = false };	/* clear_bit_unlock() */
		d_step {
			if
			:: (parked || queued[s]) && !MUT(8) ->
				armed = true	/* atomic_xchg(); hrtimer_start() */
			:: else
			fi;
			parked = false
		};
		if
		:: MUT(9) -> break
		:: else
		fi
	od;
	r = false
}

/* kovan_engine_fn(): the slots listed, each unlisted, then run. */
proctype work()
{
	byte mine, s, q, u, l, r;
	bool parked;

end_work:
	do
	:: d_step { work_pending -> work_pending = false; mine = listed; listed = 0 };
		for (s : 0 .. NSLOTS - 1) {
			if
			:: mine & (1 << s) ->
				d_step { queued[s] = false };	/* H */
				engine_try(s, parked, q, u, l, r)
			:: else
			fi
		};
		atomic { mine = 0; s = 0 }
	od
}

/* kovan_backstop_timer_fn(): fires at some point once armed. */
proctype backstop()
{
end_backstop:
	do
	:: d_step { armed -> armed = false; work_pending = true }
	od
}

/* --- closers: kovan_retire() of one object, kovan_close_batch() at once --- */

/* kovan_slot_idle(): unpins of both phases (J), then pins of both. */
inline idle(s, u, l)
{
	if
	:: MUT(3) ->
		d_step { l = mem[PINS(s, 0)] };
		d_step { l = (l + mem[PINS(s, 1)]) % CNT };
		d_step { u = mem[UNPINS(s, 0)] };
		d_step { u = (u + mem[UNPINS(s, 1)]) % CNT }
	:: else ->
		d_step { u = mem[UNPINS(s, 0)] };
		d_step { u = (u + mem[UNPINS(s, 1)]) % CNT };
		d_step { l = mem[PINS(s, 0)] };
		d_step { l = (l + mem[PINS(s, 1)]) % CNT }
	fi
}

/* The unfenced flags (acquire), then IPIs to the CPUs that had it set. */
inline fence_readers(k, i, m)
{
	m = 0;
	for (i : 0 .. NREADERS - 1) {
		d_step {
			if
			:: mem[UNF(i)] != 0 && !(MUT(10) && i == 0) -> m = m | (1 << i)
			:: else
			fi
		}
	};
	/* smp_call_function_many(..., wait): all sent, then all waited for */
	atomic {
		for (i : 0 .. NREADERS - 1) {
			if
			:: m & (1 << i) -> ipi[i] = ipi[i] | (1 << k)
			:: else
			fi
		};
		i = 0
	};
	for (i : 0 .. NREADERS - 1) {
		(ipi[i] & (1 << k)) == 0
	};
	atomic { i = 0; m = 0 }
}

proctype closer(byte k)
{
	byte o, s, u, l, q, r, i, m;
	bool parked;

	for (o : k * NOBJ + 1 .. k * NOBJ + NOBJ - 1) {
#if FENCELESS
		if
		:: MUT(7) -> fence_readers(k, i, m)	/* the flags before C */
		:: else
		fi;
#endif
		/*
		 * The new object published, the old one unpublished and retired;
		 * the closer holds its batch until it looked at every slot.
		 * This store is not buffered: C follows it at once, and with C
		 * a load the store buffer lets pass it is the same as a load
		 * put before it, as MUTATION 7 does.
		 */
		d_step { state[o] = LIVE; root[k] = o; state[o - 1] = RETIRED; refs[o - 1] = 1 };
		/* C: smp_mb(); the closer has no buffered store here */
#if FENCELESS
		if
		:: !MUT(7) -> fence_readers(k, i, m)
		:: else
		fi;
#endif
		for (s : 0 .. NSLOTS - 1) {
			idle(s, u, l);
			if
			:: u == l ->
				/* Parked for readers now gone: the closer pays it. */
				if
				:: mem[WAIT(s)] != 0 -> engine_try(s, parked, q, u, l, r)
				:: else
				fi
			:: else ->
				d_step {	/* llist_add() (F): locked */
					waiting[s] = waiting[s] | (1 << (o - 1));
					refs[o - 1]++
				};
				engine_try(s, parked, q, u, l, r)
			fi;
			atomic { u = 0; l = 0 }
		};
		atomic {
			refs[o - 1]--;
			if
			:: refs[o - 1] == 0 -> state[o - 1] = FREED
			:: else
			fi
		}
	}
}

init {
	byte o;

	atomic {
		for (o : 0 .. NCLOSERS - 1) {
			root[o] = o * NOBJ;
			state[o * NOBJ] = LIVE
		};
		run flusher();
		run work();
		run backstop();
		for (o : 0 .. NREADERS - 1) {
			mem[UNF(o)] = UNFENCED;
			run reader(o);
#if FENCELESS
			run handler(o)
#endif
		};
		for (o : 0 .. NCLOSERS - 1) {
			run closer(o)
		};
		o = 0
	}
	/*
	 * Liveness, as far as a safety run sees it: when nothing can move any
	 * more (every reader and closer done, every buffer drained, no work
	 * queued, no timer armed), everything retired has been freed.
	 */
	timeout;
	for (o : 0 .. NOBJT - 1) {
		assert(state[o] == FREED || state[o] == LIVE)
	}
}
