#include "keep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
keep_replay(struct spool *sp, struct forward *f, const struct log *lg)
{
	size_t n = sp->count, i;
	char *line;
	size_t len;
	int rc;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if ((rc = spool_load(sp, i, &line, &len)) != 0) {
			log_msg(lg, LOG_ERR, "spool entry %s: %s",
			    sp->entries[i].name, strerror(-rc));
			return rc;
		}
		rc = fwd_hold(f, line, len);
		free(line);
		if (rc != 0)
			return rc;
	}
	log_msg(lg, LOG_INFO, "%zu line(s) kept at the last stop go out first",
	    n);
	if ((rc = fwd_settle(f)) != 0)
		return rc;
	/* acknowledged: no more ours (spool_forget drops entry 0 each time) */
	while (sp->count > 0)
		if ((rc = spool_forget(sp, 0)) != 0) {
			log_msg(lg, LOG_ERR, "cannot remove a delivered spool "
			    "entry (sent again at the next start): %s",
			    strerror(-rc));
			return rc;
		}
	return 0;
}

int
keep_save(struct spool *sp, const struct forward *f, const struct log *lg)
{
	unsigned char digest[SPOOL_DIGEST_LEN];
	const char *line;
	size_t len, i;
	int rc;

	for (i = 0; fwd_unacked(f, i, &line, &len); i++) {
		spool_digest(line, len, digest);
		if ((rc = spool_add(sp, line, len, digest, 0)) != 0) {
			log_msg(lg, LOG_ERR, "cannot keep a line no manager "
			    "acknowledged (%zu kept before it): %s", i,
			    strerror(-rc));
			return rc;
		}
	}
	if (i > 0)
		log_msg(lg, LOG_INFO, "%zu line(s) no manager acknowledged are "
		    "kept for the next start", i);
	return (int)i;
}
