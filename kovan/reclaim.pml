/*
 * SPDX-License-Identifier: GPL-2.0 OR MIT
 *
 * Promela model of kovan's slot protocol (kovan/reclaim.c), checked with
 * spin by scripts/model.sh (make model; make check runs a reduced size).
 *
 * What is modelled, statement for statement where it matters:
 *   kovan_pin()        pin():     kovan_raise_access() in robust domains,
 *                                 then the fetch-and-add on the slot (A)
 *   kovan_load()       load():    the fast path and kovan_load_slow() (E),
 *                                 with its move out of a stalled slot
 *   kovan_unpin()      unpin():   kovan_leave() of each slot the guard
 *                                 counts in: the compare-and-swap loop (B),
 *                                 share (c), kovan_walk(), the owed walks
 *   kovan_retire()     retire():  a batch of one object, closed at once by
 *                                 kovan_close_batch(): era skip, the push
 *                                 loop (F), share (b) and the owed walks
 *                                 with the stall mark (kovan_owe()),
 *                                 share (a)
 *   kovan_adjust()     adjust():  refs modulo NSLOTS * SHARE (D); zero frees
 *   kovan_pick_slot()  pick():    home slot, then the next ones, avoiding
 *                                 crowded and (robust) stalled slots and
 *                                 slots with a mover; when all are, the
 *                                 stalled one marked last
 *   kovan_move()       move():    an empty slot taken with one
 *                                 compare-and-swap, its movers counted
 *   kovan_node_init()  in the updaters: the birth era; the era advances or
 *                                 not (every era_frequency covered), or at
 *                                 every init with ERA_EVERY_INIT
 *
 * Abstractions, and why they keep the properties:
 * - Sequential consistency. Every shared access of the protocol in
 *   reclaim.c is a fully ordered RMW or sits behind one of the barriers
 *   A-I, so the orders spin explores are the ones the barriers allow.
 * - One object per batch (kovan.batch=1): every retire closes a batch, the
 *   path with the most pushes and shares. Bigger batches group objects
 *   under one refs counter and change nothing in the counting.
 * - Objects are freed when refs reaches zero, not later by the worker: an
 *   earlier free is the harder case for safety.
 * - The slot a reader pins is any slot (select) unless STALL or COUNTW is
 *   set: the safety argument must hold for every choice kovan_pick_slot()
 *   can make, migration between pin and unpin included.
 * - Interrupts: reader 0 may run a whole nested reader (pin, load, use,
 *   unpin, its own guard) on its own slot after its pin and after its
 *   load, as an interrupt handler does on the reader's CPU while the other
 *   processes go on. (Robust: the nested pin does not raise the access
 *   era; its load does when the era moved, as kovan_load() would.)
 * - The reader count of a slot is modulo 2^COUNT_BITS (32 in reclaim.c);
 *   pins avoid a slot at half of that, READER_LIMIT. With COUNTW, the pick
 *   and the fetch-and-add of a pin are one step, as they are with
 *   preemption off on one CPU, and a count that would wrap is an error.
 *
 * Properties:
 *   safety:   an object is never freed while a guard that loaded it is
 *             pinned (checked when it is freed and whenever a reader uses
 *             it), and no batch is freed twice or read after its free;
 *   liveness: when every process has ended (all guards unpinned), every
 *             retired object has been freed;
 *   bound:    (STALL) with one reader stalled inside its guard, the
 *             objects left unfreed are at most stall_batches + 2 +
 *             nr_cpu_ids batches plus the objects born up to the era the
 *             stalled slot had when it was marked stalled, plus one
 *             further raise per other reader (kovan.h, "Bounded memory");
 *             and once marked, the stalled slot's era is raised at most
 *             1 + (NREADERS - 1) * (STALL_BATCHES + 2) more times: the
 *             stalled reader's load under way when the mark came, and per
 *             other reader its pin under way and its loads until it has
 *             stayed more than STALL_BATCHES pushes (one more for a push
 *             between its check and its raise), however long they live;
 *             both unless a pin or a move found every slot taken, where
 *             kovan.h gives no bound;
 *   counts:   (COUNTW) a slot's reader count never wraps.
 *
 * Scenarios:
 *   default   readers load the published object; the updater replaces it
 *             with a new one and retires the old, NOBJ - 1 times
 *   LINKS     a chain X -> W under the root; the reader stops on X and
 *             then follows X's link; the updater replaces W by a new Y',
 *             deletes X, deletes Y' (kovan.h's robust rule: the new Y'
 *             goes in front, so X's link never leads to it)
 *   LIVE      (with STALL) reader 1 is long-lived: it pins after reader 0
 *             stalled, so into its slot unless that is marked already, and
 *             keeps loading while the updater retires
 *
 * MUTATION=n seeds a bug (scripts/model.sh shows that spin reports it):
 *   1  kovan_walk() stops one batch early: a reader's subtraction is lost
 *   2  kovan_close_batch() pays (b) without the covered slot's readers:
 *      they subtract what was never added, refs reaches zero too early
 *   3  kovan_close_batch() never skips a slot for its era: a stalled
 *      reader holds every later batch, beyond the robust bound
 *   4  (LINKS) the updater replaces W in place, X's link leads to Y',
 *      born after the reader's era: the pattern kovan.h forbids
 *   5  (LIVE) a guard in a stalled slot never moves: the live reader
 *      keeps raising the stalled slot's era
 *   6  (COUNTW) pins ignore the reader limit: the count wraps
 */

#ifndef NSLOTS
#define NSLOTS		2	/* kovan_nr_slots */
#endif
#ifndef NCPUS
#define NCPUS		1	/* STALL, COUNTW: CPUs, each with SLOTS_PER_CPU slots */
#endif
#ifndef NOBJ
#define NOBJ		3	/* objects, object 0 published at start */
#endif
#ifndef NREADERS
#define NREADERS	2
#endif
#ifndef NUPDATERS
#define NUPDATERS	1
#endif
#ifndef ROUNDS
#define ROUNDS		1	/* read-side sections per reader */
#endif
#ifndef IRQS
#define IRQS		0	/* nested readers a reader may run */
#endif
#ifndef ROBUST
#define ROBUST		0
#endif
#ifndef STALL
#define STALL		0	/* reader 0 never unpins; pick() as in reclaim.c */
#endif
#ifndef LIVE
#define LIVE		0	/* STALL: reader 1 loads again and again */
#endif
#ifndef LINKS
#define LINKS		0	/* the chain scenario */
#endif
#ifndef COUNTW
#define COUNTW		0	/* pick and fetch-and-add in one step; count checked */
#endif
#ifndef STALL_BATCHES
#define STALL_BATCHES	1	/* kovan.stall_batches */
#endif
#ifndef ERA_EVERY_INIT
#define ERA_EVERY_INIT	0	/* 1: kovan.era_frequency=1; 0: any frequency */
#endif
#ifndef COUNT_BITS
#define COUNT_BITS	3
#endif
#ifndef MUTATION
#define MUTATION	0
#endif

#define SLOTS_PER_CPU	2	/* KOVAN_SLOTS_PER_CPU */
#define COUNT_MOD	(1 << COUNT_BITS)
#define READER_LIMIT	(COUNT_MOD / 2)	/* KOVAN_READER_LIMIT, scaled down */
#define SHARE		16	/* kovan_share: NSLOTS shares sum to 0 mod MOD */
#define MOD		(NSLOTS * SHARE)
#define NIL		255

#define LIVE_OBJ	0	/* allocated or published */
#define RETIRED		1
#define FREED		2

/* Objects; object o is also the batch that retires it. */
byte state[NOBJ];
byte birth[NOBJ];
byte refs[NOBJ];			/* kovan_batch.refs, modulo MOD */
byte next[NOBJ * NSLOTS];		/* kovan_batch.next[] */
byte link[NOBJ];			/* LINKS: the object's pointer to the next */

/* Slots: the head word (batch, readers), the access era, owed walks, mark. */
byte head_batch[NSLOTS];
byte head_readers[NSLOTS];
byte access[NSLOTS];
byte owed[NSLOTS];
byte marked[NSLOTS];			/* stalled: the mark's order (its time), 0: none */
byte movers[NSLOTS];			/* guards that moved to the slot */
byte pushes[NSLOTS];			/* batches pushed onto the slot */
byte mark_era[NSLOTS];			/* the slot's access era at its first mark */
byte marks;
byte late[NSLOTS];			/* raises of the slot's era while it was marked */

byte era;				/* kovan_domain.era */
byte shared = 0;			/* the published pointer */
byte allocated = 1;
byte holding[NOBJ];			/* guards that loaded the object, pinned */
byte stall_slot = NIL;
bool live_done;
bool crowded;				/* a pin or move found every slot taken */

/*
 * kovan_adjust(): the fully ordered add (D). The zero crossing frees the
 * batch in the same step, earlier than the reclaim worker would.
 */
inline adjust(b, delta)
{
	atomic {
		refs[b] = (refs[b] + (delta)) % MOD;
		if
		:: refs[b] == 0 ->
			assert(state[b] == RETIRED);	/* freed once, after its retire */
			assert(holding[b] == 0);	/* no pinned guard loaded it */
			state[b] = FREED
		:: else
		fi
	}
}

/*
 * kovan_raise_access(): the read and CAS loop is an atomic maximum (a failed
 * CAS only rereads), so one step; result is what the slot now covers.
 */
inline raise_access(s, e, result)
{
	atomic {
		if
		:: access[s] < e ->
			if
			:: marked[s] != 0 -> late[s]++
			:: else
			fi;
			access[s] = e
		:: else
		fi;
		result = access[s]
	}
}

/* kovan_owe()'s mark, with the order of marks standing in for the time. */
inline mark(s)
{
	if
	:: marked[s] == 0 ->
		marks++;
		marked[s] = marks;
		if
		:: mark_era[s] == 0 -> mark_era[s] = access[s] + 1	/* +1: 0 means unset */
		:: else
		fi
	:: else
	fi
}

/*
 * kovan_pick_slot(): home slot of @cpu, then onwards; one read per slot;
 * when every slot is crowded or stalled, the one marked last.
 */
inline pick(s, cpu, i, best)
{
	atomic { s = cpu * SLOTS_PER_CPU; i = 0; best = s; tmp2 = 0 };
	do
	:: atomic {
		if
		:: i < NSLOTS && ((MUTATION != 6 && head_readers[s] >= READER_LIMIT) ||
				  (ROBUST && ((marked[s] != 0 && head_readers[s] != 0) ||
					      movers[s] != 0))) ->
			if
			:: ROBUST && marked[s] > tmp2 && head_readers[s] < READER_LIMIT &&
			   movers[s] == 0 ->
				tmp2 = marked[s]; best = s
			:: else
			fi;
			s = (s + 1) % NSLOTS; i++
		:: else ->
			if
			:: i == NSLOTS -> s = best; crowded = true
			:: else
			fi;
			i = 0;
			tmp2 = 0;
			break
		fi
	}
	od
}

/* The fetch-and-add (A); COUNTW: a count that would wrap is an error. */
inline faa(s, handle)
{
	assert(!COUNTW || head_readers[s] + 1 < COUNT_MOD);
	handle = head_batch[s];
	head_readers[s] = (head_readers[s] + 1) % COUNT_MOD
}

/* kovan_pin(): slot choice, access era, fetch-and-add (A). */
inline pin(s, handle, gera, tmp, p0)
{
	if
	:: COUNTW ->
		atomic {	/* preemption off: no other pin of this CPU between */
			select(tmp : 0 .. NCPUS - 1); pick(s, tmp, handle, best); tmp = 0;
			faa(s, handle)
		}
	:: !COUNTW ->
		if
		:: STALL -> select(tmp : 0 .. NCPUS - 1); pick(s, tmp, handle, best); tmp = 0
		:: else -> select(s : 0 .. NSLOTS - 1)
		fi;
		if
		:: ROBUST -> raise_access(s, era, gera)
		:: else
		fi;
		atomic { faa(s, handle); p0 = pushes[s] }	/* atomic_long_fetch_add(); A */
	fi
}

/*
 * kovan_move(): an empty slot (head word 0) taken with one compare-and-swap
 * (A), its movers counted so that pins stay away; with none empty, try
 * again at the next load (ms stays NIL).
 */
inline move(s, ms, i)
{
	atomic {
		i = 1;
		do
		:: i == NSLOTS -> crowded = true; break
		:: else ->
			if
			:: head_readers[(s + i) % NSLOTS] == 0 && head_batch[(s + i) % NSLOTS] == NIL ->
				ms = (s + i) % NSLOTS;
				head_readers[ms] = 1;
				movers[ms]++;
				break
			:: else -> i++
			fi
		od;
		i = 0
	}
}

/*
 * kovan_load() of *@pp into @o: acquire the pointer; robust domains make
 * the era cover it, moving a guard of a stalled slot first.
 */
inline load(pp, s, ms, o, gera, e, p0)
{
	o = pp;		/* p = smp_load_acquire(pp) */
	if
	:: ROBUST && era > gera ->	/* !(era <= g->era): kovan_load_slow() */
		do
		:: if	/* kovan_should_move() */
			:: MUTATION != 5 && ms == NIL && marked[s] != 0 && head_readers[s] != 0 &&
			   pushes[s] - p0 > STALL_BATCHES -> move(s, ms, e)
			:: else
			fi;
			e = era;
			if
			:: ms != NIL -> raise_access(ms, e, gera)
			:: else -> raise_access(s, e, gera)
			fi;
			o = pp;			/* after smp_mb() E */
			if
			:: atomic { era <= gera -> e = 0 }; break
			:: else
			fi
		od
	:: else
	fi;
	atomic {
		if
		:: o != NIL ->
			assert(state[o] != FREED);
			holding[o]++
		:: else
		fi
	}
}

/* A read of the object through the guard, after other steps. */
inline use(o)
{
	assert(o == NIL || state[o] != FREED)
}

/* kovan_walk(): subtract 1 from b down to stop; count in walked. */
inline walk(b, stop, s, walked, nb)
{
	do
	:: b == NIL -> break
	:: else ->
		atomic {	/* next = READ_ONCE(b->next[idx]) */
			assert(state[b] != FREED);	/* read before the decrement */
			nb = next[b * NSLOTS + s];
			walked++
		};
		if
		:: MUTATION == 1 && b == stop -> break
		:: else
		fi;
		adjust(b, MOD - 1);	/* atomic_long_dec_return(&b->refs); B, D */
		if
		:: atomic { b == stop -> b = NIL; nb = 0 }; break
		:: else -> atomic { b = nb; nb = 0 }
		fi
	od
}

/*
 * kovan_leave(): settle the movers and the owed walks, CAS the head word
 * (B), pay (c), walk. (The walks are repaid before the CAS in reclaim.c,
 * counted from the same head; here from the head the CAS replaced.)
 */
inline leave(s, handle, cur, nr, below, walked, last, mover)
{
	atomic {	/* head = atomic_long_read(&s->head) */
		if
		:: mover -> movers[s]--
		:: else
		fi;
		cur = head_batch[s];
		nr = head_readers[s]
	};
	do
	:: atomic {
		below = NIL;
		if
		:: cur != handle ->	/* below = READ_ONCE(cur->next[g->slot]) */
			/* our count still protects cur: pushed after we pinned */
			assert(state[cur] != FREED);
			below = next[cur * NSLOTS + s]
		:: else
		fi
	};
		atomic {	/* atomic_long_try_cmpxchg(&s->head, &head, new); B */
			if
			:: head_batch[s] == cur && head_readers[s] == nr ->
				last = (nr == 1);
				if
				:: last -> head_batch[s] = NIL; head_readers[s] = 0
				:: else -> head_readers[s] = nr - 1
				fi;
				nr = 0;
				break
			:: else -> cur = head_batch[s]; nr = head_readers[s]
			fi
		}
	od;
	/* (c): the last reader pays the share of the head it detached. */
	if
	:: last && cur != NIL -> adjust(cur, SHARE)
	:: else
	fi;
	if
	:: cur != handle -> walk(below, handle, s, walked, nr)	/* kovan_walk() */
	:: else
	fi;
	atomic {
		if
		:: ROBUST && cur != handle ->	/* kovan_repay() */
			owed[s] = owed[s] - walked;
			if
			:: marked[s] != 0 && owed[s] <= head_readers[s] + STALL_BATCHES / 2 ->
				marked[s] = 0
			:: else
			fi
		:: ROBUST && cur == handle && last -> marked[s] = 0	/* empty */
		:: else
		fi;
		handle = 0; cur = 0; below = 0; walked = 0; last = 0
	}
}

/* kovan_unpin(): the slot the guard moved to, then its own. */
inline unpin(s, ms, handle, o, o2, cur, nr, below, walked, last)
{
	atomic {
		if
		:: o != NIL -> holding[o]--
		:: else
		fi;
		if
		:: o2 != NIL -> holding[o2]--
		:: else
		fi;
		o = NIL; o2 = NIL
	};
	if
	:: ms != NIL -> atomic { tmp = NIL }; leave(ms, tmp, cur, nr, below, walked, last, 1)
	:: else
	fi;
	leave(s, handle, cur, nr, below, walked, last, 0);
	atomic { s = 0; ms = NIL }
}

/* kovan_close_batch() of a batch holding object b alone. */
inline retire(b, idx, hb, hr, skipped, pushed)
{
	/* smp_mb() C: the unpublishing store came before, in the updater */
	atomic { state[b] = RETIRED; skipped = 0; idx = 0 };
	do
	:: idx == NSLOTS -> break
	:: else ->
		if
		/* robust && atomic64_read(&s->access) - b->min_birth < 0: era skip */
		:: atomic { ROBUST && MUTATION != 3 && access[idx] < birth[b] -> skipped++ }
		:: else ->
			atomic { hb = head_batch[idx]; hr = head_readers[idx] };	/* atomic_long_read() */
			do
			:: atomic { hr == 0 -> skipped++ }; break
			:: else ->
				atomic {	/* b->next[idx] = head_batch(head); try_cmpxchg; F */
					next[b * NSLOTS + idx] = hb;
					if
					:: head_batch[idx] == hb && head_readers[idx] == hr ->
						head_batch[idx] = b; pushed = 1
					:: else ->
						hb = head_batch[idx]; hr = head_readers[idx]; pushed = 0
					fi
				};
				if
				:: pushed ->
					atomic { if :: ROBUST -> pushes[idx]++ :: else fi };
					if
					:: hb != NIL ->
						if
						:: ROBUST -> atomic {	/* kovan_owe() */
							owed[idx] = owed[idx] + hr;
							if
							:: owed[idx] - hr > STALL_BATCHES -> mark(idx)
							:: else
							fi
						}
						:: else
						fi;
						if
						:: MUTATION == 2 -> adjust(hb, SHARE)
						:: else -> adjust(hb, SHARE + hr)
						fi
					:: else
					fi;
					break
				:: else
				fi
			od
		fi;
		atomic { idx++; hb = 0; hr = 0; pushed = 0 }
	od;
	/* (a) */
	if
	:: skipped > 0 -> adjust(b, skipped * SHARE)
	:: else
	fi;
	atomic { idx = 0; skipped = 0 }
}

/* kovan_node_init(): the era moves every era_frequency inits. */
inline stamp(o)
{
	if
	:: ROBUST ->
		atomic {
			if
			:: era++
			:: !ERA_EVERY_INIT -> skip
			fi;
			birth[o] = era
		}
	:: else
	fi
}

byte finished;

/*
 * A whole read-side section run by an interrupt on the reader's CPU: it
 * pins the slot the reader counts in (the CPU's home slot) while the
 * reader is stopped between two of its steps.
 */
inline maybe_irq()
{
	if
	:: irqs > 0 ->
		irqs--;
		atomic { s2 = s; handle2 = head_batch[s2]; head_readers[s2]++; p2 = pushes[s2] };
		load(shared, s2, ms2, o3, gera2, e, p2);
		use(o3);
		unpin(s2, ms2, handle2, o3, o4, cur, nr, below, walked, last);
		gera2 = 0
	:: true
	fi
}

proctype reader(byte id)
{
	byte s, ms = NIL, handle, gera, o = NIL, o2 = NIL, p0;
	byte s2, ms2 = NIL, handle2, gera2, o3 = NIL, o4 = NIL, p2;
	byte tmp, tmp2, best, cur, nr, below, walked, last, e;
	byte rounds = 0, irqs = (id == 0 -> IRQS : 0);

	/* LIVE: the live reader comes after the stall, into its slot. */
	if
	:: LIVE && id == 1 -> stall_slot != NIL
	:: else
	fi;
	do
	:: rounds == ROUNDS -> break
	:: else ->
		pin(s, handle, gera, tmp, p0);
		maybe_irq();
		load(shared, s, ms, o, gera, e, p0);
		maybe_irq();
		use(o);
		if
		:: LINKS && o != NIL ->	/* stopped on o; its link, later */
			load(link[o], s, ms, o2, gera, e, p0);
			use(o2);
			use(o)
		:: else
		fi;
		if
		:: STALL && id == 0 ->
			stall_slot = s;
end_stalled:		false		/* stalled inside the guard, forever */
		:: else
		fi;
		if
		:: LIVE && id == 1 ->	/* loads until the updater is done */
			do
			:: live_done -> break
			:: else ->
				atomic { if :: o != NIL -> holding[o]-- :: else fi };
				load(shared, s, ms, o, gera, e, p0);
				use(o)
			od
		:: else
		fi;
		unpin(s, ms, handle, o, o2, cur, nr, below, walked, last);
		atomic { rounds++; gera = 0 }
	od;
	atomic { finished++ }
}

proctype updater()
{
	byte o, old, idx, hb, hr, skipped, pushed;

	do
	:: atomic { allocated < NOBJ -> o = allocated; allocated++ };
		stamp(o);
		/* kovan_replace_pointer(): fully ordered exchange */
		atomic { old = shared; shared = o; o = 0 };
		retire(old, idx, hb, hr, skipped, pushed);
		old = 0
	:: atomic { allocated == NOBJ -> break }
	od;
	atomic { finished++; live_done = true }
}

/*
 * LINKS: the chain shared -> X (0) -> W (1). Replace W by Y' (2), delete
 * X, delete Y'. kovan.h's rule puts Y' in front of X, so that no link
 * leads to an object younger than the one holding it; MUTATION=4 puts it
 * in W's place, behind X.
 */
proctype list_updater()
{
	byte idx, hb, hr, skipped, pushed;

	stamp(2);
	if
	:: MUTATION == 4 ->
		atomic { link[2] = link[1]; link[0] = 2 };	/* in W's place: X -> Y' */
		retire(1, idx, hb, hr, skipped, pushed);
		atomic { shared = link[0] };			/* delete X */
		retire(0, idx, hb, hr, skipped, pushed);
		atomic { shared = link[2] };			/* delete Y' */
		retire(2, idx, hb, hr, skipped, pushed)
	:: else ->
		atomic { link[2] = shared; shared = 2 };	/* in front: Y' -> X */
		atomic { link[0] = link[1] };			/* unlink W */
		retire(1, idx, hb, hr, skipped, pushed);
		atomic { link[2] = link[0] };			/* delete X */
		retire(0, idx, hb, hr, skipped, pushed);
		atomic { shared = link[2] };			/* delete Y' */
		retire(2, idx, hb, hr, skipped, pushed)
	fi;
	atomic { finished++ }
}

init
{
	byte i, unfreed, born;

	atomic {
		for (i : 0 .. NOBJ * NSLOTS - 1) {
			next[i] = NIL
		}
		for (i : 0 .. NOBJ - 1) {
			link[i] = NIL
		}
		for (i : 0 .. NSLOTS - 1) {
			head_batch[i] = NIL
		}
		if
		:: LINKS -> link[0] = 1; allocated = NOBJ
		:: else
		fi;
		for (i : 0 .. NREADERS - 1) {
			run reader(i)
		}
		if
		:: LINKS -> run list_updater()
		:: else ->
			for (i : 0 .. NUPDATERS - 1) {
				run updater()
			}
		fi
	}
	/* Every guard unpinned (but the stalled one), every retire done. */
	finished == NREADERS + NUPDATERS - STALL && (!STALL || stall_slot != NIL);
	unfreed = 0;
	born = 0;
	for (i : 0 .. NOBJ - 1) {
		if
		:: state[i] == RETIRED -> unfreed++
		:: else
		fi;
		/* Born before the stalled slot was marked, or before its era froze unmarked. */
		if
		:: STALL && mark_era[stall_slot] != 0 && birth[i] < mark_era[stall_slot] -> born++
		:: STALL && mark_era[stall_slot] == 0 && birth[i] <= access[stall_slot] -> born++
		:: else
		fi
	}
	if
	:: STALL ->
		printf("MODEL: unfreed %d, bound %d, late raises %d, crowded %d\n", unfreed,
		       STALL_BATCHES + 2 + NCPUS + born + NREADERS - 1, late[stall_slot], crowded);
		/* kovan.h: with every slot taken the bound does not hold. */
		assert(crowded || late[stall_slot] <= 1 + (NREADERS - 1) * (STALL_BATCHES + 2));
		assert(crowded || unfreed <= STALL_BATCHES + 2 + NCPUS + born + NREADERS - 1)
	:: else ->
		assert(unfreed == 0)	/* liveness: nobody can see them any more */
	fi
}
