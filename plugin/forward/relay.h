/*
 * relay: omprog's transactions, as rsyslog 8.2302's omprog speaks them with
 * useTransactions="on" and confirmMessages="on" (plugins/omprog/omprog.c):
 *   (at start, once ready)  OK
 *   BEGIN TRANSACTION   -> OK
 *   each line           -> DEFER_COMMIT once held by the forwarder
 *   COMMIT TRANSACTION  -> OK once a manager acknowledged every line
 * rsyslog keeps the transaction's messages until that last OK and, when the
 * program dies or stops before it, hands them over again (action.c keeps a
 * transaction's messages to retry its commit): the Disk queue of the node
 * holds every event until a manager has it.  A line outside a transaction
 * is answered OK once acknowledged.
 */
#ifndef RELAY_H
#define RELAY_H

#include "forward.h"
#include "omprog.h"

/*
 * relay_run(io, f, lg):
 * Answer rsyslog's lines until its input ends or a stop is requested.
 * Returns 0 (then nothing answered OK is held), or -1 after an error that
 * was logged (what was not answered OK stays rsyslog's).
 */
int relay_run(struct omprog *io, struct forward *f, const struct log *lg);

#endif /* !RELAY_H */
