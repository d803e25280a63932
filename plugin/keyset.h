/*
 * keyset: does any key of an object repeat?  In time linear in the number
 * of keys, whatever the keys.
 *
 * A crafted event may hold 200,000 top-level members, and only an event
 * whose keys do not repeat may travel as the bytes that came in (jansson,
 * which defines the output, keeps a repeated key once).  Sorting the keys
 * made that test most of the plugin's time on such lines; a hash table
 * does it in one pass.  Its hash is SipHash-2-4 keyed with a per-process
 * secret, so that no client can choose keys that all fall in one slot.
 */
#ifndef KEYSET_H
#define KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonscan.h"

#define KEYSET_SEED_LEN 16

/*
 * keyset_hash(seed, p, len):
 * SipHash-2-4 of the `len` bytes at `p` under the key `seed`.
 */
uint64_t keyset_hash(const unsigned char seed[KEYSET_SEED_LEN], const void *p,
    size_t len);

/*
 * keyset_repeats(seed, text, members, count):
 * True when two of members[0..count) have the same raw key bytes (spans of
 * `text`), as jscan_repeats answers, in O(count) expected time for any
 * keys while `seed` stays secret.  An allocation failure answers true (the
 * caller then takes its careful path).
 */
bool keyset_repeats(const unsigned char seed[KEYSET_SEED_LEN],
    const char *text, const struct jmember *members, size_t count);

#endif /* !KEYSET_H */
