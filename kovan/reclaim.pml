/*
 * SPDX-License-Identifier: GPL-2.0 OR MIT
 *
 * Promela model of kovan's slot protocol (kovan/reclaim.c), checked with
 * spin by scripts/model.sh (make model; make check runs a reduced size).
 *
 * What is modelled, statement for statement where it matters:
 *   kovan_pin()        pin():     kovan_raise_access() in robust domains,
 *                                 then the fetch-and-add on the slot (A)
 *   kovan_load()       load():    the fast path and kovan_load_slow() (E)
 *   kovan_unpin()      unpin():   the compare-and-swap loop (B), share (c),
 *                                 kovan_walk()
 *   kovan_retire()     retire():  a batch of one object, closed at once by
 *                                 kovan_close_batch(): era skip, the push
 *                                 loop (F), share (b) and owed, share (a)
 *   kovan_adjust()     adjust():  refs modulo NSLOTS * SHARE (D); zero frees
 *   kovan_pick_slot()  pick():    home slot, then the next ones, avoiding
 *                                 crowded (robust: owing) slots
 *   kovan_node_init()  in updater(): the birth era; the era advances or not
 *                                 (every era_frequency covered), or at every
 *                                 init with ERA_EVERY_INIT
 *
 * Abstractions, and why they keep the properties:
 * - Sequential consistency. Every shared access of the protocol in
 *   reclaim.c is a fully ordered RMW or sits behind one of the barriers
 *   A-G, so the orders spin explores are the ones the barriers allow.
 * - One object per batch (kovan.batch=1): every retire closes a batch, the
 *   path with the most pushes and shares. Bigger batches group objects
 *   under one refs counter and change nothing in the counting.
 * - Objects are freed when refs reaches zero, not later by the worker: an
 *   earlier free is the harder case for safety.
 * - The slot a reader pins is any slot (select) unless STALL is set: the
 *   safety argument must hold for every choice kovan_pick_slot() can
 *   make, migration between pin and unpin included.
 * - Interrupts: reader 0 may run a whole nested reader (pin, load, use,
 *   unpin, its own guard) on its own slot after its pin and after its
 *   load, as an interrupt handler does on the reader's CPU while the other
 *   processes go on. (Robust: the nested pin does not raise the access
 *   era; its load does when the era moved, as kovan_load() would.)
 *
 * Properties:
 *   safety:   an object is never freed while a guard that loaded it is
 *             pinned (checked when it is freed and whenever a reader uses
 *             it), and no batch is freed twice or read after its free;
 *   liveness: when every process has ended (all guards unpinned), every
 *             retired object has been freed;
 *   bound:    (STALL) with one reader stalled inside its guard, the
 *             objects left unfreed are at most stall_batches + 2 +
 *             nr_cpu_ids batches plus the objects born up to the stalled
 *             slot's era (kovan.h, "Bounded memory").
 *
 * MUTATION=n seeds a bug (scripts/model.sh shows that spin reports it):
 *   1  kovan_walk() stops one batch early: a reader's subtraction is lost
 *   2  kovan_close_batch() pays (b) without the covered slot's readers:
 *      they subtract what was never added, refs reaches zero too early
 *   3  kovan_close_batch() never skips a slot for its era: a stalled
 *      reader holds every later batch, beyond the robust bound
 */

#ifndef NSLOTS
#define NSLOTS		2	/* kovan_nr_slots */
#endif
#ifndef NCPUS
#define NCPUS		1	/* STALL: CPUs, each with SLOTS_PER_CPU slots */
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
#ifndef STALL_BATCHES
#define STALL_BATCHES	1	/* kovan.stall_batches */
#endif
#ifndef ERA_EVERY_INIT
#define ERA_EVERY_INIT	0	/* 1: kovan.era_frequency=1; 0: any frequency */
#endif
#ifndef MUTATION
#define MUTATION	0
#endif

#define SLOTS_PER_CPU	2	/* KOVAN_SLOTS_PER_CPU */
#define READER_LIMIT	8	/* KOVAN_READER_LIMIT, scaled down */
#define SHARE		16	/* kovan_share: NSLOTS shares sum to 0 mod MOD */
#define MOD		(NSLOTS * SHARE)
#define NIL		255

#define LIVE		0	/* allocated or published */
#define RETIRED		1
#define FREED		2

/* Objects; object o is also the batch that retires it. */
byte state[NOBJ];
byte birth[NOBJ];
byte refs[NOBJ];			/* kovan_batch.refs, modulo MOD */
byte next[NOBJ * NSLOTS];		/* kovan_batch.next[] */

/* Slots: the head word (batch, readers), the access era, owed walks. */
byte head_batch[NSLOTS];
byte head_readers[NSLOTS];
byte access[NSLOTS];
byte owed[NSLOTS];

byte era;				/* kovan_domain.era */
byte shared = 0;			/* the published pointer */
byte allocated = 1;
byte holding[NOBJ];			/* guards that loaded the object, pinned */
byte stall_slot = NIL;

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
		:: access[s] < e -> access[s] = e
		:: else
		fi;
		result = access[s]
	}
}

/* kovan_pick_slot(): home slot of @cpu, then onwards; one read per slot. */
inline pick(s, cpu, i)
{
	atomic { s = cpu * SLOTS_PER_CPU; i = 0 };
	do
	:: atomic {
		if
		:: i < NSLOTS && (head_readers[s] >= READER_LIMIT ||
				  (ROBUST && owed[s] > STALL_BATCHES)) ->
			s = (s + 1) % NSLOTS; i++
		:: else ->
			if
			:: i == NSLOTS -> s = cpu * SLOTS_PER_CPU
			:: else
			fi;
			i = 0;
			break
		fi
	}
	od
}

/* kovan_pin(): slot choice, access era, fetch-and-add (A). */
inline pin(s, handle, gera, tmp)
{
	if
	:: STALL -> select(tmp : 0 .. NCPUS - 1); pick(s, tmp, handle); tmp = 0
	:: else -> select(s : 0 .. NSLOTS - 1)
	fi;
	if
	:: ROBUST -> raise_access(s, era, gera)
	:: else
	fi;
	atomic {	/* head = atomic_long_fetch_add(1, &s->head); A */
		handle = head_batch[s];
		head_readers[s]++
	}
}

/* kovan_load(): acquire the pointer; robust domains make the era cover it. */
inline load(s, o, gera, e)
{
	o = shared;		/* p = smp_load_acquire(pp) */
	if
	:: ROBUST && era > gera ->	/* !(era <= g->era): kovan_load_slow() */
		do
		:: e = era;
			raise_access(s, e, gera);
			o = shared;		/* after smp_mb() E */
			if
			:: atomic { era <= gera -> e = 0 }; break
			:: else
			fi
		od
	:: else
	fi;
	atomic {
		assert(state[o] != FREED);
		holding[o]++
	}
}

/* A read of the object through the guard, after other steps. */
inline use(o)
{
	assert(state[o] != FREED)
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

/* kovan_unpin(): CAS the head word (B), pay (c), walk. */
inline unpin(s, handle, o, cur, nr, below, walked, last)
{
	atomic {	/* head = atomic_long_read(&s->head) */
		holding[o]--;
		o = 0;
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
		:: ROBUST -> owed[s] = owed[s] - walked	/* atomic_long_sub(walked, &s->owed) */
		:: else
		fi;
		s = 0; handle = 0; cur = 0; below = 0; walked = 0; last = 0
	}
}

/* kovan_close_batch() of a batch holding object b alone. */
inline retire(b, idx, hb, hr, skipped, pushed)
{
	/* smp_mb() C: the unpublishing exchange came before, in updater() */
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
					if
					:: hb != NIL ->
						if
						:: ROBUST -> atomic { owed[idx] = owed[idx] + hr }	/* (b) owed */
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
		atomic { s2 = s; handle2 = head_batch[s2]; head_readers[s2]++ };
		load(s2, o2, gera2, e);
		use(o2);
		unpin(s2, handle2, o2, cur, nr, below, walked, last);
		gera2 = 0
	:: true
	fi
}

proctype reader(byte id)
{
	byte s, handle, gera, o, s2, handle2, gera2, o2;
	byte tmp, cur, nr, below, walked, last, e;
	byte rounds = 0, irqs = (id == 0 -> IRQS : 0);

	do
	:: rounds == ROUNDS -> break
	:: else ->
		pin(s, handle, gera, tmp);
		maybe_irq();
		load(s, o, gera, e);
		maybe_irq();
		use(o);
		if
		:: STALL && id == 0 ->
			stall_slot = s;
end_stalled:		false		/* stalled inside the guard, forever */
		:: else
		fi;
		unpin(s, handle, o, cur, nr, below, walked, last);
		atomic { rounds++; gera = 0 }
	od;
	atomic { finished++ }
}

proctype updater()
{
	byte o, old, idx, hb, hr, skipped, pushed;

	do
	:: atomic { allocated < NOBJ -> o = allocated; allocated++ };
		/* kovan_node_init(): the era moves every era_frequency inits */
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
		fi;
		/* kovan_replace_pointer(): fully ordered exchange */
		atomic { old = shared; shared = o; o = 0 };
		retire(old, idx, hb, hr, skipped, pushed);
		old = 0
	:: atomic { allocated == NOBJ -> break }
	od;
	atomic { finished++ }
}

init
{
	byte i, unfreed, born;

	atomic {
		for (i : 0 .. NOBJ * NSLOTS - 1) {
			next[i] = NIL
		}
		for (i : 0 .. NSLOTS - 1) {
			head_batch[i] = NIL
		}
		for (i : 0 .. NREADERS - 1) {
			run reader(i)
		}
		for (i : 0 .. NUPDATERS - 1) {
			run updater()
		}
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
		if
		:: STALL && birth[i] <= access[stall_slot] -> born++
		:: else
		fi
	}
	if
	:: STALL ->
		printf("MODEL: unfreed %d, bound %d\n", unfreed, STALL_BATCHES + 2 + NCPUS + born);
		assert(unfreed <= STALL_BATCHES + 2 + NCPUS + born)
	:: else ->
		assert(unfreed == 0)	/* liveness: nobody can see them any more */
	fi
}
