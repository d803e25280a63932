/*
 * keyset: does any key of an object repeat?
 */
#include <stdlib.h>
#include <string.h>

#include "keyset.h"

/* Below this many keys comparing each pair is cheaper than a table. */
#define PAIRWISE_BELOW 32

static uint64_t
rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void
round_(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl(s->v2, 32);
}

static void
compress(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	round_(s);
	round_(s);
	s->v0 ^= m;
}

uint64_t
keyset_hash(const unsigned char seed[KEYSET_SEED_LEN], const void *p,
    size_t len)
{
	const unsigned char *in = p;
	uint64_t k0 = le64(seed), k1 = le64(seed + 8), last;
	struct sip s = { 0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
	    0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1 };
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		compress(&s, le64(in + i));
	last = (uint64_t)(len & 0xff) << 56;
	for (size_t k = 0; i + k < len; k++)
		last |= (uint64_t)in[i + k] << (8 * k);
	compress(&s, last);
	s.v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		round_(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

static bool
same_key(const char *text, const struct jmember *a, const struct jmember *b)
{
	return a->key.len == b->key.len && memcmp(text + a->key.off,
	    text + b->key.off, a->key.len) == 0;
}

static bool
pairwise_repeats(const char *text, const struct jmember *m, size_t count)
{
	for (size_t i = 1; i < count; i++)
		for (size_t k = 0; k < i; k++)
			if (same_key(text, &m[k], &m[i]))
				return true;
	return false;
}

bool
keyset_repeats(const unsigned char seed[KEYSET_SEED_LEN], const char *text,
    const struct jmember *m, size_t count)
{
	size_t cap = 64, mask, i, slot, *table;
	bool found = false;

	if (count < PAIRWISE_BELOW)
		return pairwise_repeats(text, m, count);
	/* At most half full: probes stay short. */
	while (cap < count * 2)
		cap *= 2;
	if ((table = calloc(cap, sizeof(*table))) == NULL)
		return true;
	mask = cap - 1;
	/* Slots hold a member's index + 1; 0 is empty. */
	for (i = 0; i < count && !found; i++) {
		slot = (size_t)keyset_hash(seed, text + m[i].key.off,
		    m[i].key.len) & mask;
		while (table[slot] != 0 && !(found = same_key(text,
		    &m[table[slot] - 1], &m[i])))
			slot = (slot + 1) & mask;
		table[slot] = i + 1;
	}
	free(table);
	return found;
}
