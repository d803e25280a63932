/*
 * test_keyset: keyset_hash is SipHash-2-4 (the reference vector), and
 * keyset_repeats answers as the obvious pairwise comparison for objects of
 * every size around its switch to a table, with repeats anywhere, and for
 * 200,000 keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"
#include "tap.h"

/* An object's keys "k<n>" for each n in nums[0..count), as jscan finds them. */
struct keys {
	char *text;
	struct jmember *m;
};

static bool
make_keys(struct keys *k, const unsigned long *nums, size_t count)
{
	size_t off = 0;

	k->text = malloc(count * 24 + 1);
	k->m = calloc(count ? count : 1, sizeof(*k->m));
	if (k->text == NULL || k->m == NULL)
		return false;
	for (size_t i = 0; i < count; i++) {
		int n = sprintf(k->text + off, "\"k%lu\":0,", nums[i]);

		k->m[i].key.off = off + 1;
		k->m[i].key.len = (size_t)n - 5;
		off += (size_t)n;
	}
	return true;
}

static void
free_keys(struct keys *k)
{
	free(k->text);
	free(k->m);
}

static void
oom(void)
{
	fprintf(stderr, "test_keyset: out of memory\n");
	exit(1);
}

static bool
naive(const struct keys *k, size_t count)
{
	for (size_t i = 0; i < count; i++)
		for (size_t j = i + 1; j < count; j++)
			if (k->m[i].key.len == k->m[j].key.len &&
			    memcmp(k->text + k->m[i].key.off, k->text +
			    k->m[j].key.off, k->m[i].key.len) == 0)
				return true;
	return false;
}

static void
test_vector(void)
{
	unsigned char seed[KEYSET_SEED_LEN], msg[15];

	for (int i = 0; i < 16; i++)
		seed[i] = (unsigned char)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	ok(keyset_hash(seed, msg, sizeof(msg)) == 0xa129ca6149be45e5ULL,
	    "SipHash-2-4 of the paper's 15-byte message");
}

/* Sizes 0..300, distinct keys, then one repeat at each of three places. */
static void
test_against_naive(const unsigned char *seed)
{
	unsigned long nums[300];
	size_t bad = 0, tried = 0;
	struct keys k;

	for (size_t n = 0; n <= 300; n += (n < 70 ? 1 : 23)) {
		for (size_t i = 0; i < n; i++)
			nums[i] = i * 7919 % 100003;
		for (int variant = 0; variant < 4; variant++) {
			if (variant > 0 && n < 2)
				break;
			if (variant == 1)
				nums[n - 1] = nums[0];
			else if (variant == 2)
				nums[n / 2] = nums[n / 3 == n / 2 ? 0 : n / 3];
			else if (variant == 3)
				nums[1] = nums[0];
			if (!make_keys(&k, nums, n))
				oom();
			tried++;
			if (keyset_repeats(seed, k.text, k.m, n) != naive(&k, n)) {
				diag("%zu keys, variant %d: differs", n, variant);
				bad++;
			}
			free_keys(&k);
		}
	}
	ok(bad == 0, "%zu objects of 0 to 300 keys: as the pairwise test", tried);
}

static void
test_many(const unsigned char *seed)
{
	size_t n = 200000;
	unsigned long *nums = malloc(n * sizeof(*nums));
	struct keys k;

	if (nums == NULL)
		oom();
	for (size_t i = 0; i < n; i++)
		nums[i] = i;
	if (!make_keys(&k, nums, n))
		oom();
	ok(!keyset_repeats(seed, k.text, k.m, n), "200000 distinct keys");
	free_keys(&k);
	nums[n - 1] = 0;
	if (!make_keys(&k, nums, n))
		oom();
	ok(keyset_repeats(seed, k.text, k.m, n), "200000 keys, the last "
	    "repeating the first");
	free_keys(&k);
	free(nums);
}

int
main(void)
{
	unsigned char seed[KEYSET_SEED_LEN];

	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (unsigned char)(i * 37 + 11);
	test_vector();
	test_against_naive(seed);
	test_many(seed);
	return tap_done();
}
